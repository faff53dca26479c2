#!/usr/bin/python3
"""readme_run.py - run every command block of a Markdown file (README.md)
and compare what each command prints with the output the file shows.

Convention (README.md follows it; see its "Development" section):
  - A fenced block whose first line starts with "$ " is a command block.
    Blocks of other kinds (```sh build instructions, YAML, ...) are not run.
  - A line "$ COMMAND" is a command; a command line ending in "\\" goes on
    on the next line.  The lines up to the next "$ " line or the end of the
    block are its output (standard output and standard error, merged).
  - In the output shown, a line "..." stands for any number of lines, and a
    line ending in "..." for any line starting with the text before it.
  - Volatile values are masked in both the shown and the actual output
    before they are compared: timings and rates, dates, DKIM keys (p=),
    signatures (b=) and timestamps (t=).
Each block runs in one bash process (so "$ echo $?" works) in the given
directory, blocks one after the other, so a later block may use files an
earlier one wrote.

Usage: readme_run.py README.md WORKDIR
Prints "ok N - COMMAND" / "not ok N - COMMAND" with a diff; exits 1 if
any command's output differs or no command block was found.
"""
import difflib
import re
import shlex
import subprocess
import sys

# Seconds one block may run before it counts as a hang.
BLOCK_SECONDS = 120
# Separates the outputs of the commands of one block.
MARK = "@@readme-run-end-of-command@@"

MASKS = [
    (re.compile(r"\b\d+\.\d+ s\b"), "<seconds> s"),
    (re.compile(r"\(\d+ per second\)"), "(<rate> per second)"),
    (re.compile(r"\b\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\b"), "<date>"),
    (re.compile(r"\bt=\d+"), "t=<time>"),
    (re.compile(r"\bp=[A-Za-z0-9+/]{16,}=*(\.\.\.)?"), "p=<key>"),
    (re.compile(r"\bb=[A-Za-z0-9+/]+=*$"), "b=<signature>"),
    (re.compile(r"\bheader\.b=\"?[A-Za-z0-9+/]+=*\"?"), "header.b=<prefix>"),
    # a folded line of a DKIM-Signature that is base64 only
    (re.compile(r"^[ \t]+[A-Za-z0-9+/]{16,}=*$"), " <base64>"),
]


def mask(line):
    """mask - the line with its volatile values replaced by placeholders"""
    for rx, rep in MASKS:
        line = rx.sub(rep, line)
    return line


def blocks(text):
    """blocks - the command blocks: lists of (command, [expected lines])"""
    out = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        if not lines[i].startswith("```"):
            i += 1
            continue
        body = []
        i += 1
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if not body or not body[0].startswith("$ "):
            continue
        cmds = []
        j = 0
        while j < len(body):
            line = body[j]
            if line.startswith("$ "):
                cmd = line[2:]
                while cmd.endswith("\\") and j + 1 < len(body):
                    j += 1
                    cmd = cmd + "\n" + body[j]
                cmds.append((cmd, []))
            else:
                cmds[-1][1].append(line)
            j += 1
        # a blank line closes an output: it separates commands for people
        for _, exp in cmds:
            while exp and exp[-1] == "":
                exp.pop()
        out.append(cmds)
    return out


def matches(exp, act):
    """matches - whether the actual lines fit the shown ones ("..." rules)"""
    memo = {}

    def m(i, j):
        key = (i, j)
        if key in memo:
            return memo[key]
        if i == len(exp):
            r = j == len(act)
        elif exp[i] == "...":
            r = any(m(i + 1, k) for k in range(j, len(act) + 1))
        elif j == len(act):
            r = False
        elif exp[i].endswith("...") and len(exp[i]) > 3:
            r = act[j].startswith(exp[i][:-3].rstrip()) and m(i + 1, j + 1)
        else:
            r = exp[i] == act[j] and m(i + 1, j + 1)
        memo[key] = r
        return r

    return m(0, 0)


def run_block(cmds, workdir):
    """run_block - each command's output lines, in one bash process"""
    script = ["exec 2>&1", "__rc=0",
              '__run() { (exit "$__rc"); eval "$1"; __rc=$?; printf "\\n%s\\n" ' +
              shlex.quote(MARK) + "; }"]
    for cmd, _ in cmds:
        script.append("__run " + shlex.quote(cmd))
    p = subprocess.run(["bash", "-c", "\n".join(script)], cwd=workdir, stdout=subprocess.PIPE,
                       stdin=subprocess.DEVNULL, timeout=BLOCK_SECONDS)
    parts = p.stdout.decode("utf-8", "replace").split("\n" + MARK + "\n")
    outs = []
    for part in parts[:len(cmds)]:
        lines = part.split("\n")
        while lines and lines[-1] == "":
            lines.pop()
        outs.append(lines)
    while len(outs) < len(cmds):
        outs.append(["(no output: the block stopped here)"])
    return outs


def main():
    readme, workdir = sys.argv[1], sys.argv[2]
    with open(readme, encoding="utf-8") as f:
        found = blocks(f.read())
    n = bad = 0
    for cmds in found:
        for (cmd, exp), act in zip(cmds, run_block(cmds, workdir)):
            n += 1
            e = [mask(x) for x in exp]
            a = [mask(x) for x in act]
            title = cmd.split("\n")[0]
            if matches(e, a):
                print("ok %d - %s" % (n, title))
                continue
            bad += 1
            print("not ok %d - %s" % (n, title))
            for d in difflib.unified_diff(e, a, "README.md", "actual", lineterm="", n=2):
                print("#   " + d)
    print("1..%d" % n)
    if n == 0:
        print("not ok - no command block found in %s" % readme)
        return 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
