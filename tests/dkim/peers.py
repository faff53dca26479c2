"""peers.py - test keys, test zone and the DKIM peers (dkimpy, OpenDKIM,
inkan) behind one small interface, for the interop test and bench/dkim.

Run under Debian's /usr/bin/python3 (python3-dkim, python3-nacl).

Keys are made at test time with `openssl genpkey` (RSA-2048 and Ed25519)
and published three ways from the same data:
  - a zone file for `inkan ... --zone FILE` (TXT split in 255-byte strings),
  - a TestPublicKeys file for OpenDKIM (`name record` per line),
  - a dict that a dkimpy dnsfunc answers from.

OpenDKIM is driven through `opendkim -t FILES` (its test mode runs the
real milter callbacks over files, in one process for many files): with
-b s it prints the DKIM-Signature it would insert, in verify mode it logs
one "verification ... succeeded/failed" line per signature to stderr.
"""

import base64
import os
import re
import resource
import subprocess

import dkim

DOMAIN = "example.com"
SELECTORS = {"rsa": "rsa-sha256", "ed": "ed25519-sha256"}
ALG_SELECTOR = {"rsa-sha256": "rsa", "ed25519-sha256": "ed"}

OPENSSL = "openssl"
OPENDKIM = "/usr/sbin/opendkim"


class PeerError(Exception):
    """A peer could not be run at all (as opposed to a verify failure)."""


# CPU seconds (user + system) the last command run() ran used (bench/dkim).
last_cpu = 0.0


def run(args, data=None, check=True):
    """run - run a command with bytes on stdin, return CompletedProcess;
    its CPU time is left in last_cpu."""
    global last_cpu
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(args, input=data, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    last_cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    if check and p.returncode != 0:
        raise PeerError("%s exited %d: %s" % (" ".join(args), p.returncode,
                                              p.stderr.decode(errors="replace")[:500]))
    return p


def split_txt(record):
    """split_txt - a TXT record as zone-file character strings of at most
    255 bytes each."""
    parts = [record[i:i + 255] for i in range(0, len(record), 255)]
    return " ".join('"%s"' % p for p in parts)


class Keys:
    """Keys - RSA-2048 and Ed25519 test keys in DIR, and their records."""

    def __init__(self, workdir, domain=DOMAIN):
        self.dir = workdir
        self.domain = domain
        self.pem = {}          # selector -> private key PEM path
        self.records = {}      # "sel._domainkey.domain" -> TXT record text
        os.makedirs(workdir, exist_ok=True)
        self.pem["rsa"] = self._genpkey("rsa", ["-algorithm", "RSA",
                                                "-pkeyopt", "rsa_keygen_bits:2048"])
        self.pem["ed"] = self._genpkey("ed", ["-algorithm", "ED25519"])
        rsa_der = run([OPENSSL, "pkey", "-in", self.pem["rsa"], "-pubout",
                       "-outform", "DER"]).stdout
        ed_der = run([OPENSSL, "pkey", "-in", self.pem["ed"], "-pubout",
                      "-outform", "DER"]).stdout
        ed_priv = run([OPENSSL, "pkey", "-in", self.pem["ed"], "-outform", "DER"]).stdout
        # RFC 8463: p= is the bare 32-byte public key; dkimpy wants the
        # bare 32-byte private seed, base64.
        self.ed_seed_b64 = base64.b64encode(ed_priv[-32:])
        self.rsa_pem_bytes = open(self.pem["rsa"], "rb").read()
        self.records["rsa._domainkey." + domain] = \
            "v=DKIM1; k=rsa; p=" + base64.b64encode(rsa_der).decode()
        self.records["ed._domainkey." + domain] = \
            "v=DKIM1; k=ed25519; p=" + base64.b64encode(ed_der[-32:]).decode()
        self.zone = os.path.join(workdir, "test.zone")
        self.opendkim_keys = os.path.join(workdir, "opendkim-keys.txt")
        self.write_zone()

    def _genpkey(self, name, args):
        path = os.path.join(self.dir, name + ".pem")
        run([OPENSSL, "genpkey"] + args + ["-out", path])
        os.chmod(path, 0o600)
        return path

    def add_record(self, name, text):
        """add_record - publish one more TXT record (rewrites the files)."""
        self.records[name] = text
        self.write_zone()

    def write_zone(self):
        """write_zone - the zone file for inkan and the OpenDKIM key file."""
        with open(self.zone, "w") as z:
            z.write("$ORIGIN %s.\n$TTL 300\n" % self.domain)
            z.write("@ IN SOA ns.%s. hostmaster.%s. 1 3600 600 86400 300\n"
                    % (self.domain, self.domain))
            z.write("@ IN NS ns.%s.\n" % self.domain)
            z.write("ns IN A 192.0.2.53\n")
            for name, text in sorted(self.records.items()):
                z.write("%s. IN TXT %s\n" % (name, split_txt(text)))
        with open(self.opendkim_keys, "w") as f:
            for name, text in sorted(self.records.items()):
                f.write("%s %s\n" % (name, text))

    def dnsfunc(self, name, timeout=5):
        """dnsfunc - dkimpy's DNS hook answering from the test records."""
        if isinstance(name, bytes):
            name = name.decode()
        rec = self.records.get(name.rstrip("."))
        return rec.encode() if rec is not None else None


# ---------------------------------------------------------------- dkimpy

def dkimpy_sign(keys, msg, alg, canon, opts):
    """dkimpy_sign - msg (CRLF bytes) signed by dkimpy; returns the whole
    signed message."""
    sel = ALG_SELECTOR[alg]
    key = keys.rsa_pem_bytes if sel == "rsa" else keys.ed_seed_b64
    hc, bc = canon.split("/")
    include = None
    if opts.get("headers"):
        include = [h.encode() for h in opts["headers"]]
        include += [h.encode() for h in (opts.get("oversign") or [])]
    d = dkim.DKIM(msg, minkey=1024)
    sig = d.sign(sel.encode(), keys.domain.encode(), key,
                 signature_algorithm=alg.encode(),
                 canonicalize=(hc.encode(), bc.encode()),
                 include_headers=include)
    return sig + msg


def count_signatures(msg):
    """count_signatures - DKIM-Signature fields in a message."""
    head = re.split(rb"\r?\n\r?\n", msg, maxsplit=1)[0]
    return len(re.findall(rb"(?im)^dkim-signature[ \t]*:", head))


def dkimpy_verify(keys, msg):
    """dkimpy_verify - list of (result, reason) per signature, in order."""
    out = []
    for idx in range(count_signatures(msg)):
        d = dkim.DKIM(msg, minkey=1024)
        try:
            ok = d.verify(idx=idx, dnsfunc=keys.dnsfunc)
            out.append(("pass", "") if ok else ("fail", "verify returned False"))
        except dkim.DKIMException as e:
            out.append(("fail", str(e)))
    return out


# -------------------------------------------------------------- OpenDKIM

def opendkim_conf(path, lines):
    """opendkim_conf - write an opendkim.conf for test mode.  Keys live in
    a temporary directory, so RequireSafeKeys is off."""
    with open(path, "w") as f:
        f.write("Syslog no\nRequireSafeKeys false\n")
        for line in lines:
            f.write(line + "\n")
    return path


def opendkim_sign_batch(keys, workdir, items, alg, canon, opts):
    """opendkim_sign_batch - sign many messages in one `opendkim -t` run.
    items: list of (id, msg bytes).  Returns {id: signed bytes}; a message
    OpenDKIM refused to sign maps to an Exception."""
    sel = ALG_SELECTOR[alg]
    os.makedirs(workdir, exist_ok=True)
    conf = ["Domain " + keys.domain, "Selector " + sel,
            "KeyFile " + keys.pem[sel], "SignatureAlgorithm " + alg,
            "Canonicalization " + canon, "TestPublicKeys " + keys.opendkim_keys]
    if opts.get("headers"):
        conf.append("SignHeaders " + ",".join(dict.fromkeys(opts["headers"])))
    conf.append("OversignHeaders " + ",".join(opts.get("oversign") or ["From"]))
    cpath = opendkim_conf(os.path.join(workdir, "sign.conf"), conf)
    files = []
    for ident, msg in items:
        fn = os.path.join(workdir, "%s.eml" % ident)
        with open(fn, "wb") as f:
            f.write(msg)
        files.append((ident, fn, msg))
    p = run([OPENDKIM, "-x", cpath, "-b", "s", "-t",
             ",".join(fn for _, fn, _ in files)], check=False)
    # stdout: "opendkim: FILE:" then the DKIM-Signature field (lines end
    # in CRLF, continuation lines start with a tab), for each file in turn.
    out = p.stdout
    res = {}
    blocks = re.split(rb"(?m)^opendkim: (.*?):\r?\n", out)
    found = {}
    for k in range(1, len(blocks) - 1, 2):
        found[blocks[k].decode()] = blocks[k + 1]
    for ident, fn, msg in files:
        field = found.get(fn)
        if not field or not field.startswith(b"DKIM-Signature:"):
            err = [l for l in p.stderr.decode(errors="replace").splitlines() if fn in l]
            res[ident] = PeerError("opendkim did not sign %s: %s" % (ident, " ".join(err)[:300]))
            continue
        field = field.rstrip(b"\r\n")
        field = re.sub(rb"\r?\n", b"\r\n", field) + b"\r\n"
        res[ident] = field + msg
    return res


RE_ODK_VERIFY = re.compile(
    r"^opendkim: (?P<file>.*?): (?:verification \((?P<info>[^)]*)\) "
    r"(?P<res>succeeded|failed)(?:: (?P<why>.*))?|(?P<none>message not signed)"
    r"|(?P<other>.*))$")


def opendkim_verify_batch(keys, workdir, items):
    """opendkim_verify_batch - verify many messages in one `opendkim -t`
    run.  items: list of (id, msg).  Returns {id: [(result, reason), ...]}
    with one entry per signature OpenDKIM reported (its -vv verdict
    lines: "opendkim: FILE: verification (s=, d=, key) succeeded" or
    "... failed: why", or "message not signed")."""
    os.makedirs(workdir, exist_ok=True)
    cpath = opendkim_conf(os.path.join(workdir, "verify.conf"),
                          ["TestPublicKeys " + keys.opendkim_keys, "MinimumKeyBits 1024"])
    files = {}
    for ident, msg in items:
        fn = os.path.join(workdir, "%s.eml" % ident)
        with open(fn, "wb") as f:
            f.write(msg)
        files[fn] = ident
    res = {ident: [] for ident, _ in items}
    order = list(files)
    # opendkim -t stops at a message it cannot process (exit 70 after
    # "message not signed" on some syntax errors): note an error for the
    # first file without a verdict and go on with the ones after it
    while order:
        p = run([OPENDKIM, "-x", cpath, "-vv", "-t", ",".join(order)], check=False)
        seen = set()
        # the verdict lines go to stdout between the inserted header fields
        for line in (p.stdout + b"\n" + p.stderr).decode(errors="replace").splitlines():
            m = RE_ODK_VERIFY.match(line)
            if not m or m.group("file") not in files:
                continue
            ident = files[m.group("file")]
            if m.group("res") == "succeeded":
                res[ident].append(("pass", m.group("info")))
            elif m.group("res") == "failed":
                res[ident].append(("fail", (m.group("why") or "") + " (" + m.group("info") + ")"))
            elif m.group("none"):
                res[ident].append(("none", "message not signed"))
            else:
                continue
            seen.add(m.group("file"))
        if p.returncode == 0:
            break
        last = max((order.index(f) for f in seen), default=-1)
        if last + 1 >= len(order):
            break
        stuck = order[last + 1]
        if stuck not in seen:
            res[files[stuck]].append(("error", "opendkim exited %d on it" % p.returncode))
        order = order[last + 2:]
    return res


# ----------------------------------------------------------------- inkan

def inkan_sign(inkan, keys, msg, algs, canon, opts, extra=None):
    """inkan_sign - msg signed by `inkan dkim sign`, one signature per
    algorithm in algs (a list: several keys sign in one pass, RSA and
    Ed25519 side by side); returns the output."""
    args = [inkan, "dkim", "sign"]
    for alg in algs:
        sel = ALG_SELECTOR[alg]
        args += ["--domain", keys.domain, "--selector", sel, "--key", keys.pem[sel],
                 "--algorithm", alg]
    args += ["--canon", canon]
    if opts.get("headers"):
        args += ["--headers", ":".join(opts["headers"])]
    if opts.get("oversign"):
        args += ["--oversign", ":".join(opts["oversign"])]
    args += extra or []
    return run(args, msg).stdout


def inkan_verify(inkan, keys, msg, extra=None):
    """inkan_verify - `inkan dkim verify --zone`: list of (result, line)
    per output line (one per signature; 'none' when unsigned)."""
    p = run([inkan, "dkim", "verify", "--zone", keys.zone] + (extra or []), msg,
            check=False)
    if p.returncode != 0:
        raise PeerError("inkan dkim verify exited %d: %s"
                        % (p.returncode, p.stderr.decode(errors="replace")[:300]))
    out = []
    for line in p.stdout.decode(errors="replace").splitlines():
        if line.strip():
            out.append((line.split()[0], line))
    return out


def inkan_verify_batch(inkan, keys, workdir, items, extra=None):
    """inkan_verify_batch - many messages through one `inkan dkim verify
    --zone Z FILE...` run (it prints "FILE: result d= s= a= (reason)" per
    signature, or "FILE: none").  items: list of (id, msg bytes).  Returns
    {id: [(result, line), ...]}; a message with no line maps to []."""
    os.makedirs(workdir, exist_ok=True)
    files = {}
    for k, (ident, msg) in enumerate(items):
        fn = os.path.join(workdir, "m%05d.eml" % k)
        with open(fn, "wb") as f:
            f.write(msg)
        files[fn] = ident
    res = {ident: [] for ident, _ in items}
    if not items:
        return res
    names = list(files)
    if len(names) == 1:  # a single file prints no "FILE: " prefix
        for ident, msg in items:
            res[ident] = inkan_verify(inkan, keys, msg, extra)
        return res
    p = run([inkan, "dkim", "verify", "--zone", keys.zone] + (extra or []) + names,
            check=False)
    if p.returncode != 0:
        raise PeerError("inkan dkim verify (%d files) exited %d: %s"
                        % (len(names), p.returncode, p.stderr.decode(errors="replace")[:300]))
    for line in p.stdout.decode(errors="replace").splitlines():
        fn, sep, rest = line.partition(": ")
        if sep and fn in files and rest.strip():
            res[files[fn]].append((rest.split()[0], rest))
    return res
