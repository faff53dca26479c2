#!/usr/bin/env python3
"""evspool.py - write a spool file of inbound evaluation rows, the records
`inkan milter` appends when the store cannot take them (include/inkan/evlog.h:
u32 length, u32 CRC-32, payload of a version byte and tag-length-value
fields), for `inkan evaluations replay` to move into a store.

usage: evspool.py OUT KEY:AT:FROM:DMARC:DISPOSITION...

Each row has that key, time (seconds since 1970), header From domain, DMARC
result and disposition, the client 192.0.2.9, one DKIM pass (d=FROM, s=s1),
and a Message-ID holding markup (<script>...), which every page and JSON
answer must show as text.
"""
import struct
import sys
import zlib

# field tags of src/core/evlog/evspool.c (never renumbered)
T_KEY, T_AT, T_MESSAGE_ID, T_SOURCE_IP, T_HEADER_FROM = 1, 2, 4, 5, 6
T_DKIM, T_DMARC_RESULT, T_DISPOSITION = 12, 14, 17
VERSION = 1


def field(tag, value):
    """one tag-length-value field"""
    return bytes([tag]) + struct.pack('>H', len(value)) + value


def record(key, at, hfrom, dmarc, disposition):
    """one whole spool record"""
    d = hfrom.encode()
    p = (bytes([VERSION]) + field(T_KEY, key.encode()) + field(T_AT, struct.pack('>q', at))
         + field(T_MESSAGE_ID, b'<script>window.pwned=1</script>@' + d)
         + field(T_SOURCE_IP, b'192.0.2.9') + field(T_HEADER_FROM, d)
         + field(T_DMARC_RESULT, dmarc.encode()) + field(T_DISPOSITION, disposition.encode())
         + field(T_DKIM, bytes([len(d)]) + d + b'\x02s1\x04pass'))
    return struct.pack('>II', len(p), zlib.crc32(p)) + p


def main(argv):
    if len(argv) < 3:
        sys.exit('usage: evspool.py OUT KEY:AT:FROM:DMARC:DISPOSITION...')
    with open(argv[1], 'wb') as out:
        for spec in argv[2:]:
            key, at, hfrom, dmarc, disposition = spec.split(':')
            out.write(record(key, int(at), hfrom, dmarc, disposition))


if __name__ == '__main__':
    main(sys.argv)
