#!/usr/bin/env python3
"""peers.py MODE FILE - parse one aggregate report as Python peers do and
print "bytes records seconds MB/s peak-RSS-KiB" like report_bench.
MODE iterparse: xml.etree.ElementTree.iterparse, each <record> cleared
after use (the streaming way); xmltodict: xmltodict.parse of the whole
document (parsedmarc's parser)."""
import os, resource, sys, time

mode, path = sys.argv[1], sys.argv[2]
size = os.path.getsize(path)
t0 = time.monotonic()
records = 0
if mode == "iterparse":
    import xml.etree.ElementTree as ET
    for ev, el in ET.iterparse(path, events=("end",)):
        if el.tag.rsplit("}", 1)[-1] == "record":
            records += 1
            el.clear()
elif mode == "xmltodict":
    import xmltodict
    with open(path, "rb") as f:
        doc = xmltodict.parse(f)
    rec = doc["feedback"].get("record", [])
    records = len(rec) if isinstance(rec, list) else 1
else:
    sys.exit("mode: iterparse or xmltodict")
s = time.monotonic() - t0
print(size, records, "%.4f" % s, "%.1f" % (size / 1e6 / s if s else 0),
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
