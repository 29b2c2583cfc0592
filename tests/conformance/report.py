"""Reads the junit XML of tests/conformance/run and reports per engine.

    report.py OUT ENGINE...           `N of M cases pass (engine)`, each failing case with its
                                      reason and dbt-core's outcome; writes OUT/report.txt and
                                      OUT/handoff.txt (failing cases by the part of uxt they need)
    report.py --green OUT ENGINE...   the green run: fails (exit 1) when a case listed in
                                      green-ENGINE.txt did not pass
    report.py --passing OUT ENGINE    the ids of the cases uxt passes, for green-ENGINE.txt
"""

import os
import re
import sys
import xml.etree.ElementTree as ET

# Which part of uxt a failure points at, read from its reason; first match wins. The parts
# dbt's Jinja surface owns (its macro namespace, adapter methods, Jinja in YAML) are named
# so that their owners can take the list as it is.
HANDOFF = (
    ("the target's keys in Jinja (`target.host`, issue 11 item 2)", r"`target\.[a-z_]+` is undefined"),
    ("dbt's macro namespace and adapter methods (issue 11 items 2-3)",
     r"unknown macro|is not supported by uxt|`api\.|api\.Relation|api\.Column|adapter\.[a-z_]+"
     r"|uxt::jinja::undefined|is undefined|unknown (function|method|filter)"),
    ("Jinja in YAML (issue 11 item 1)", r"\{\{.*\}\}"),
    ("contracts and constraints (issue 14)", r"contract|constraint"),
    ("everything else: CLI, materializations, artifacts (issue 11 items 4-5)", r""),
)


def read_cases(path):
    """case id -> (outcome, reason); outcome is pass, fail or skip."""
    if not os.path.exists(path):
        return {}
    cases = {}
    for case in ET.parse(path).getroot().iter("testcase"):
        module, _, cls = case.get("classname", "").rpartition(".")
        case_id = f"{module.replace('.', '/')}.py::{cls}::{case.get('name')}"
        outcome, reason = "pass", ""
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "fail"
                reason = one_line(child.get("message") or child.text or "")
                break
            if child.tag == "skipped":
                outcome, reason = "skip", one_line(child.get("message") or "")
        cases[case_id] = (outcome, reason)
    return cases


def one_line(message):
    """The part of a failure message that says why: the exception and uxt's own message."""
    lines = [line.strip(" │·╭╰─") for line in message.splitlines()]
    lines = [line for line in lines if line and not re.match(r"^\d+\s*$", line)]
    picked = lines[:1] + [line for line in lines[1:] if line.startswith(("×", "uxt::"))][:2]
    if len(picked) == 1:
        picked.extend(lines[1:3])
    text = " | ".join(picked)
    return text if len(text) <= 400 else text[:397] + "..."


def report(out, engines):
    lines, handoff = [], {name: [] for name, _ in HANDOFF}
    for engine in engines:
        uxt = read_cases(os.path.join(out, f"uxt-{engine}.xml"))
        dbt = read_cases(os.path.join(out, f"dbt-{engine}.xml"))
        counted = {k: v for k, v in uxt.items() if v[0] != "skip"}
        passed = sum(1 for outcome, _ in counted.values() if outcome == "pass")
        lines.append(f"{passed} of {len(counted)} cases pass ({engine})")
        if dbt:
            dbt_counted = {k: v for k, v in dbt.items() if v[0] != "skip"}
            dbt_passed = sum(1 for outcome, _ in dbt_counted.values() if outcome == "pass")
            lines.append(f"  dbt-core on {engine}: {dbt_passed} of {len(dbt_counted)} pass")
        for case_id, (outcome, reason) in sorted(counted.items()):
            if outcome == "pass":
                continue
            dbt_outcome = dbt.get(case_id, ("not run", ""))[0]
            lines.append(f"  FAIL {case_id}  [dbt-core: {dbt_outcome}]")
            lines.append(f"       {reason}")
            for name, pattern in HANDOFF:
                if re.search(pattern, reason, re.I):
                    handoff[name].append(f"{engine}: {case_id}\n    {reason}")
                    break
        for case_id, (outcome, reason) in sorted(uxt.items()):
            if outcome == "skip":
                lines.append(f"  {reason}: {case_id}")
        for case_id, (outcome, reason) in sorted(dbt.items()):
            if outcome == "fail":
                lines.append(f"  dbt-core itself fails {case_id} on {engine}: {reason}")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    with open(os.path.join(out, "report.txt"), "w") as f:
        f.write(text)
    with open(os.path.join(out, "handoff.txt"), "w") as f:
        for name, cases in handoff.items():
            f.write(f"## {name}: {len(cases)} failing cases\n")
            f.writelines(f"{case}\n" for case in cases)
            f.write("\n")


def green(out, engines):
    total_passed = total_failed = 0
    for engine in engines:
        ran = read_cases(os.path.join(out, f"uxt-{engine}.xml"))
        listed = os.path.join(os.path.dirname(os.path.abspath(__file__)), f"green-{engine}.txt")
        with open(listed) as f:
            ids = [line.strip() for line in f if line.strip() and not line.startswith("#")]
        cases = {case_id: ran.get(case_id, ("fail", "did not run")) for case_id in ids}
        failed = {k: v for k, v in cases.items() if v[0] != "pass"}
        print(f"{len(cases) - len(failed)} of {len(cases)} green cases pass ({engine})")
        for case_id, (_, reason) in sorted(failed.items()):
            print(f"  FAIL {case_id}\n       {reason}")
        total_passed += len(cases) - len(failed)
        total_failed += len(failed) + (0 if cases else 1)
    print(f"conformance: {total_passed} passed, {total_failed} failed")
    return 1 if total_failed else 0


def passing(out, engine):
    cases = read_cases(os.path.join(out, f"uxt-{engine}.xml"))
    print(f"# Cases uxt passes on {engine}; CI runs these (tests/conformance/run --green).")
    print("# Rewritten by `tests/conformance/run --update-green`.")
    for case_id, (outcome, _) in sorted(cases.items()):
        if outcome == "pass":
            print(case_id)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[0] == "--green":
        sys.exit(green(args[1], args[2:]))
    if args[0] == "--passing":
        passing(args[1], args[2])
    else:
        report(args[0], args[1:])
