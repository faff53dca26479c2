#!/usr/bin/env python3
"""peers.py MODE FILE - parse one aggregate report as Python peers do and
print "bytes records cpu-seconds MB/s peak-RSS-KiB wall-seconds" like
report_bench.  The seconds and MB/s are CPU time (user + system, as
getrusage counts) of the parse alone: the module is imported before the
clock starts, as report_bench's start-up is outside its clock.
MODE iterparse: xml.etree.ElementTree.iterparse, each <record> cleared
after use (the streaming way); xmltodict: xmltodict.parse of the whole
document (parsedmarc's parser)."""
import os, resource, sys, time


def cpu_now():
    """user + system seconds of this process"""
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


mode, path = sys.argv[1], sys.argv[2]
size = os.path.getsize(path)
if mode == "iterparse":
    import xml.etree.ElementTree as ET
elif mode == "xmltodict":
    import xmltodict
else:
    sys.exit("mode: iterparse or xmltodict")
t0 = time.monotonic()
c0 = cpu_now()
records = 0
if mode == "iterparse":
    for ev, el in ET.iterparse(path, events=("end",)):
        if el.tag.rsplit("}", 1)[-1] == "record":
            records += 1
            el.clear()
else:
    with open(path, "rb") as f:
        doc = xmltodict.parse(f)
    rec = doc["feedback"].get("record", [])
    records = len(rec) if isinstance(rec, list) else 1
c = cpu_now() - c0
s = time.monotonic() - t0
print(size, records, "%.4f" % c, "%.1f" % (size / 1e6 / c if c else 0),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "%.4f" % s)
