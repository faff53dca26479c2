#!/usr/bin/python3
"""keyscan.py - look for a private key's bytes in another process's memory
(issue 10 section 2: the milter's workers must hold none; the signer
process, which holds the keys, is the positive control).

Usage: keyscan.py PID KEYFILE...

For each PEM private key file (RSA or Ed25519) the needles are derived
with the openssl command (so this tool parses no key itself):
  der       the key's PKCS#8 DER encoding
  pem-N     each base64 line of the PEM body (the text a file read leaves
            in a buffer), lines shorter than 16 characters skipped
  seed      Ed25519: the raw 32-byte private seed
  d, p, q   RSA: the private exponent and primes, big-endian and
            little-endian (OpenSSL's BIGNUM words on a little-endian
            machine are the little-endian bytes of the number)
Every readable region of /proc/PID/maps is read through /proc/PID/mem
(regions the kernel will not let us read, [vvar] for one, are counted as
skipped).  Prints one line per needle, "KEYFILE NEEDLE COUNT", then
"regions R skipped S bytes B", and exits 0; 2 on a usage or read error.
"""
import re
import subprocess
import sys

# Bytes read from /proc/PID/mem at a time; a needle straddling two chunks
# is still found because each chunk overlaps the next by the longest needle.
CHUNK = 1 << 20
# Regions larger than this are passed over and counted: under AddressSanitizer
# the shadow memory is a mapping of terabytes (mostly never touched) that no
# key lives in, and reading it would take hours.  The heap of an ASan build
# stays in mappings far below this: ASan reserves its allocator's space
# without read permission and maps it as it is used.
REGION_MAX = 1 << 30
# PEM lines shorter than this (the last line of a body) are too short to
# tell a key from chance.
PEM_LINE_MIN = 16


def openssl_text(path):
    """openssl pkey -text of a key file: its fields as {name: bytes}"""
    out = subprocess.run(["openssl", "pkey", "-in", path, "-noout", "-text"],
                         check=True, capture_output=True, text=True).stdout
    fields, name = {}, None
    for line in out.splitlines():
        m = re.match(r"^(\w+):\s*$", line)
        if m:
            name = m.group(1)
            fields[name] = ""
        elif name and re.match(r"^\s+[0-9a-f:]+$", line):
            fields[name] += line.strip().replace(":", "")
        else:
            name = None
    return {k: bytes.fromhex(v) for k, v in fields.items() if v}


def needles(path):
    """[(name, bytes)] for one key file"""
    der = subprocess.run(["openssl", "pkey", "-in", path, "-outform", "DER"],
                         check=True, capture_output=True).stdout
    out = [("der", der)]
    body = [l.strip() for l in open(path, "rb").read().splitlines()
            if l.strip() and not l.startswith(b"-----")]
    out += [("pem-%d" % i, l) for i, l in enumerate(body) if len(l) >= PEM_LINE_MIN]
    f = openssl_text(path)
    if "priv" in f:  # Ed25519
        out.append(("seed", f["priv"]))
    for field, short in (("privateExponent", "d"), ("prime1", "p"), ("prime2", "q")):
        if field in f:
            v = f[field].lstrip(b"\0")
            out.append((short + "-be", v))
            out.append((short + "-le", v[::-1]))
    return out


def scan(pid, allneedles):
    """counts of each needle in the readable memory of pid"""
    counts = [0] * len(allneedles)
    longest = max(len(n) for _, _, n in allneedles)
    regions = skipped = large = total = 0
    with open("/proc/%d/maps" % pid) as maps, open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            if parts[1][0] != "r":
                continue
            if hi - lo > REGION_MAX:
                large += 1
                continue
            regions += 1
            tail = b""
            addr = lo
            while addr < hi:
                n = min(CHUNK, hi - addr)
                try:
                    mem.seek(addr)
                    buf = mem.read(n)
                except (OSError, ValueError, OverflowError):
                    skipped += 1
                    break
                if not buf:
                    skipped += 1
                    break
                total += len(buf)
                data = tail + buf
                for i, (_, _, needle) in enumerate(allneedles):
                    start = 0
                    while True:
                        j = data.find(needle, start)
                        if j < 0:
                            break
                        # a hit wholly inside the carried-over tail was counted before
                        if j + len(needle) > len(tail):
                            counts[i] += 1
                        start = j + 1
                tail = data[-(longest - 1):] if longest > 1 else b""
                addr += len(buf)
    return counts, regions, skipped, large, total


def main(argv):
    if len(argv) < 3 or not argv[1].isdigit():
        print("usage: keyscan.py PID KEYFILE...", file=sys.stderr)
        return 2
    pid = int(argv[1])
    try:
        alln = [(k, name, n) for k in argv[2:] for name, n in needles(k)]
        counts, regions, skipped, large, total = scan(pid, alln)
    except (OSError, subprocess.CalledProcessError) as e:
        print("keyscan.py: %s" % e, file=sys.stderr)
        return 2
    for (k, name, _), c in zip(alln, counts):
        print("%s %s %d" % (k, name, c))
    print("regions %d skipped %d bytes %d large %d" % (regions, skipped, total, large))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
