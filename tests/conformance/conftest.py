"""The conformance harness: dbt's adapter test classes (dbt-tests-adapter) run against uxt.

The test classes stay dbt's own, unchanged: they write their project files through dbt's
`project` fixture and call `run_dbt`, `run_dbt_and_capture` and `get_manifest` from
`dbt.tests.util`. With `--runner uxt` (the default) this plugin replaces those three before any
test module imports them: the command runs as the `uxt` binary on the test's project and
profiles folders, and the result the test asserts on is built from uxt's `run_results.json`
and `manifest.json` with dbt's own artifact classes (so a manifest dbt cannot read fails the
case). Checks that query the warehouse keep using dbt's adapter in this process; its
connections are closed before each uxt call, since a DuckDB file has one writer at a time.

With `--runner dbt` nothing is replaced: the same cases run on dbt-core itself, on the same
engine, which tells which cases dbt fails there.

Options: `--engine duckdb|postgres` (Postgres from POSTGRES_TEST_HOST/PORT/USER/DATABASE, as
dbt's fixtures read them), `--runner uxt|dbt`, `--uxt PATH` (default: $UXT_BIN, else the debug
build under $CARGO_TARGET_DIR).
"""

import contextlib
import glob
import inspect
import os
import re
import shutil
import subprocess
import sys
from datetime import datetime, timezone

import pytest

import dbt.tests.util as dbt_util

pytest_plugins = ["dbt.tests.fixtures.project"]

ENGINES = ("duckdb", "postgres")


def pytest_addoption(parser):
    parser.addoption("--engine", choices=ENGINES, default="duckdb")
    parser.addoption("--runner", choices=("uxt", "dbt"), default="uxt")
    parser.addoption("--uxt", default=None, help="the uxt binary")
    parser.addoption(
        "--through-listed",
        default=None,
        metavar="FILE",
        help="a file of case ids: each class runs its cases up to its last listed one (the "
        "cases before it make the state it starts from), no further",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "only_engine(name): the case exists for this engine only (as in its adapter)"
    )
    config.addinivalue_line(
        "markers",
        "in_process(reason): the case asserts on dbt's Python objects, which no other process "
        "can fill; skipped (and reported as not measurable) with uxt",
    )
    if config.getoption("--runner") == "uxt":
        binary = config.getoption("--uxt") or os.environ.get("UXT_BIN")
        if not binary:
            target_dir = os.environ.get(
                "CARGO_TARGET_DIR", os.path.expanduser("~/.cache/uxt/target")
            )
            binary = os.path.join(target_dir, "debug", "uxt")
        if not os.access(binary, os.X_OK):
            raise pytest.UsageError(f"no uxt binary at {binary} (build it, or pass --uxt)")
        UxtRunner.binary = os.path.abspath(binary)
        dbt_util.run_dbt = uxt_run_dbt
        dbt_util.run_dbt_and_capture = uxt_run_dbt_and_capture
        dbt_util.get_manifest = uxt_get_manifest
        dbt_util.patch_microbatch_end_time = uxt_microbatch_end_time


def pytest_collection_modifyitems(config, items):
    engine = config.getoption("--engine")
    if config.getoption("--runner") == "uxt":
        for item in items:
            marker = item.get_closest_marker("in_process")
            if marker:
                item.add_marker(pytest.mark.skip(reason=f"not measurable: {marker.args[0]}"))
    listed = None
    if config.getoption("--through-listed"):
        with open(config.getoption("--through-listed")) as f:
            listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}
    # The class of each case, and the position of the class's last listed case.
    last_listed = {}
    for index, item in enumerate(items):
        if listed is not None and item.nodeid in listed:
            last_listed[item.nodeid.rsplit("::", 1)[0]] = index
    kept, dropped = [], []
    for index, item in enumerate(items):
        marker = item.get_closest_marker("only_engine")
        wrong_engine = marker and engine not in marker.args
        past_listed = listed is not None and index > last_listed.get(
            item.nodeid.rsplit("::", 1)[0], -1
        )
        (dropped if wrong_engine or past_listed else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def engine(request):
    return request.config.getoption("--engine")


@pytest.fixture(scope="class")
def profile_user(dbt_profile_target):
    return dbt_profile_target.get("user")


@pytest.fixture(scope="class")
def suite_dir(request):
    """The folder of the dbt-tests-adapter module that defines the case's class: its data files
    (`seed_bom.csv`, `data/seed_run.sql`) live there, not beside our subclasses."""
    for cls in request.cls.__mro__:
        if cls.__module__.startswith("dbt.tests.adapter."):
            return os.path.dirname(inspect.getfile(cls))
    return str(request.fspath.dirname)


@pytest.fixture(scope="class")
def test_data_dir(suite_dir, tmp_path_factory):
    """A copy of the suite's `data/` folder: some cases write into theirs and remove it."""
    target = tmp_path_factory.mktemp("suite") / "data"
    source = os.path.join(suite_dir, "data")
    if os.path.isdir(source):
        shutil.copytree(source, target)
    return str(target)


@pytest.fixture(scope="class")
def logs_dir(tmp_path_factory):
    """dbt's log folder for the class, in a temp folder rather than beside these files."""
    path = str(tmp_path_factory.mktemp("logs"))
    os.environ["DBT_LOG_PATH"] = path
    yield path
    del os.environ["DBT_LOG_PATH"]


@pytest.fixture(scope="class")
def project(project_setup, project_files, suite_dir):
    project_setup.test_dir = suite_dir
    return project_setup


@pytest.fixture(scope="class")
def dbt_profile_target(engine, tmp_path_factory):
    if engine == "duckdb":
        # A file rather than dbt-duckdb's default `:memory:`, so that uxt's process and this
        # one see the same database; one per class, so a case never sees another's relations.
        return {
            "type": "duckdb",
            "threads": 4,
            "path": str(tmp_path_factory.mktemp("duckdb") / "dbt.duckdb"),
        }
    return {
        "type": "postgres",
        "threads": 4,
        "host": os.environ.get("POSTGRES_TEST_HOST", "localhost"),
        "port": int(os.environ.get("POSTGRES_TEST_PORT", 5432)),
        "user": os.environ.get("POSTGRES_TEST_USER", "root"),
        "pass": os.environ.get("POSTGRES_TEST_PASS", "password"),
        "dbname": os.environ.get("POSTGRES_TEST_DATABASE", "dbt"),
    }


class UxtError(AssertionError):
    """uxt's exit state was not the one the test expected; the message carries uxt's own."""


class UxtRunner:
    binary = None
    # The time uxt's process sees, while a case sets it with `patch_microbatch_end_time`.
    clock = None

    # Which of dbt's exceptions a uxt diagnostic stands for, by the diagnostic's code, first
    # match wins: the tests catch dbt's classes (`pytest.raises(ParsingError)`).
    EXCEPTIONS = (
        (r"uxt::hook::", "dbt_common.exceptions:DbtDatabaseError"),
        (r"uxt::jinja::query", "dbt_common.exceptions:DbtDatabaseError"),
        (r"uxt::adapter::connect", "dbt.adapters.exceptions:FailedToConnectError"),
        (r"uxt::adapter::", "dbt_common.exceptions:DbtDatabaseError"),
        (r"uxt::(jinja|graph|compile)::", "dbt_common.exceptions:CompilationError"),
        (r"uxt::(parse|project|properties|yaml|test|profile)::", "dbt.exceptions:ParsingError"),
        (r"", "dbt_common.exceptions:DbtRuntimeError"),
    )

    def __init__(self, args):
        self.args = list(args) if args else ["run"]

    def option(self, name):
        for i, arg in enumerate(self.args):
            if arg == name and i + 1 < len(self.args):
                return self.args[i + 1]
            if arg.startswith(name + "="):
                return arg.split("=", 1)[1]
        return None

    def command(self):
        """The subcommand, as dbt's result types depend on it (`docs generate` is two words)."""
        words = [a for a in self.args if not a.startswith("-")]
        if not words:
            return "run"
        if words[0] in ("docs", "source") and len(words) > 1:
            return f"{words[0]} {words[1]}"
        return words[0]

    def invoke(self):
        from dbt.flags import get_flags

        flags = get_flags()
        project_dir = self.option("--project-dir") or getattr(flags, "PROJECT_DIR", None)
        profiles_dir = self.option("--profiles-dir") or getattr(flags, "PROFILES_DIR", None)
        project_dir = str(project_dir or os.getcwd())
        args = list(self.args)
        if "--project-dir" not in args:
            args += ["--project-dir", project_dir]
        if profiles_dir and "--profiles-dir" not in args:
            args += ["--profiles-dir", str(profiles_dir)]
        target = self.option("--target-path") or os.environ.get("DBT_TARGET_PATH") or "target"
        self.target_dir = os.path.join(project_dir, target)
        self.project_dir = project_dir

        release_adapter_connections()
        before = artifact_stamp(os.path.join(self.target_dir, "run_results.json"))
        print(f"\n\nInvoking uxt with {args}")
        env = dict(os.environ, NO_COLOR="1")
        if UxtRunner.clock:
            env.update(faked_clock(UxtRunner.clock))
        proc = subprocess.run(
            [self.binary, *args],
            cwd=project_dir,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=600,
        )
        sys.stdout.write(proc.stdout)
        sys.stdout.write(proc.stderr)
        print(f"uxt exited with {proc.returncode}")
        self.proc = proc
        self.fresh_results = (
            artifact_stamp(os.path.join(self.target_dir, "run_results.json")) != before
        )
        return proc

    def error_summary(self):
        """What uxt said about the failure, in a few lines, for the case's reason: the errors
        after dbt's `Completed with N errors` line, else clap's `error:`, else the diagnostic."""
        text = self.proc.stderr + "\n" + self.proc.stdout
        lines = [re.sub(r"^\d\d:\d\d:\d\d\s+", "", line).rstrip() for line in text.splitlines()]
        lines = [line for line in lines if line.strip()]
        for i, line in enumerate(lines):
            if line.startswith("Completed with"):
                return "\n".join(lines[i + 1 : i + 5])
        for i, line in enumerate(lines):
            if line.startswith("error:") or re.match(r"^\s*(uxt::|×)", line):
                return "\n".join(lines[i : i + 4])
        return "\n".join(lines[-4:])

    def exception(self):
        """dbt raises (rather than returns a failed result) when nothing ran: a bad project, a
        failed run hook. The same is read from uxt's diagnostic code."""
        text = self.proc.stderr + self.proc.stdout
        code = re.search(r"uxt::[a-z_]+(::[a-z_]+)*", text)
        code = code.group(0) if code else ""
        for pattern, name in self.EXCEPTIONS:
            if re.match(pattern, code):
                module, _, cls = name.partition(":")
                exc_type = getattr(__import__(module, fromlist=[cls]), cls)
                return exc_type(
                    f"uxt {self.command()} failed ({code or 'no code'}):\n{self.error_summary()}"
                )
        raise AssertionError("unreachable: the last pattern matches every code")

    def result(self):
        command = self.command()
        if command in ("run", "seed", "snapshot", "test", "build", "compile", "retry", "clone"):
            return self.run_results()
        if command == "run-operation":
            return self.run_results(artifact=True)
        if command == "docs generate":
            from dbt.artifacts.schemas.catalog import CatalogArtifact

            path = os.path.join(self.target_dir, "catalog.json")
            return CatalogArtifact.read_and_check_versions(path) if os.path.exists(path) else None
        if command == "parse":
            return uxt_get_manifest(self.project_dir, self.target_dir)
        if command in ("ls", "list"):
            return [line for line in self.proc.stdout.splitlines() if line.strip()]
        if command == "debug":
            return self.proc.returncode == 0
        return None

    def run_results(self, artifact=False):
        if not self.fresh_results:
            return None
        import json

        from dbt.artifacts.schemas.results import NodeStatus, RunStatus, TestStatus, TimingInfo
        from dbt.artifacts.schemas.run import (
            RunExecutionResult,
            RunResult,
            RunResultsArtifact,
        )

        with open(os.path.join(self.target_dir, "run_results.json")) as f:
            data = json.load(f)
        if artifact:
            return RunResultsArtifact.from_dict(data)
        manifest = uxt_get_manifest(self.project_dir, self.target_dir)
        results = []
        for entry in data["results"]:
            unique_id = entry["unique_id"]
            node = find_node(manifest, unique_id)
            if node is None:
                raise AssertionError(
                    f"run_results.json names `{unique_id}`, which manifest.json does not hold"
                )
            enums = (RunStatus, TestStatus, NodeStatus)
            if node.resource_type in ("test", "unit_test"):
                enums = (TestStatus, RunStatus, NodeStatus)
            status = next(
                (e(entry["status"]) for e in enums if entry["status"] in e._value2member_map_),
                entry["status"],
            )
            results.append(
                RunResult(
                    status=status,
                    timing=[TimingInfo.from_dict(t) for t in entry.get("timing", [])],
                    thread_id=entry.get("thread_id", ""),
                    execution_time=entry.get("execution_time", 0.0),
                    adapter_response=entry.get("adapter_response", {}),
                    message=entry.get("message"),
                    failures=entry.get("failures"),
                    node=node,
                    agate_table=None,
                    batch_results=None,
                )
            )
        generated_at = data.get("metadata", {}).get("generated_at")
        return RunExecutionResult(
            results=results,
            elapsed_time=data.get("elapsed_time", 0.0),
            args=data.get("args", {}),
            generated_at=(
                datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
                if generated_at
                else datetime.now(timezone.utc)
            ),
        )


@contextlib.contextmanager
def uxt_microbatch_end_time(dt_str):
    """dbt's `patch_microbatch_end_time` mocks the end of the batches (the invocation's start) in
    dbt's own process; uxt's process is given that clock instead, through libfaketime, ticking
    from `dt_str` (UTC)."""
    UxtRunner.clock = dt_str
    try:
        yield
    finally:
        UxtRunner.clock = None


def faked_clock(dt_str):
    library = next(iter(sorted(glob.glob("/usr/lib/*/faketime/libfaketime.so.1"))), None)
    if library is None:
        raise pytest.UsageError(
            "the microbatch cases set uxt's clock with libfaketime: apt-get install faketime"
        )
    # Monotonic time stays real: timeouts and durations are measured with it.
    return {
        "LD_PRELOAD": library,
        "FAKETIME": f"@{dt_str}",
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        "TZ": "UTC",
    }


def artifact_stamp(path):
    try:
        stat = os.stat(path)
        return (stat.st_mtime_ns, stat.st_ino, stat.st_size)
    except FileNotFoundError:
        return None


def find_node(manifest, unique_id):
    for collection in (manifest.nodes, manifest.sources, manifest.unit_tests):
        if unique_id in collection:
            return collection[unique_id]
    return None


def release_adapter_connections():
    """Closes what dbt's adapter in this process holds open (a DuckDB file allows one writer;
    an open Postgres transaction would block uxt's DDL), and forgets its relation cache, which
    uxt's run makes stale. The adapter reconnects on its next query."""
    from dbt.adapters.factory import FACTORY

    for adapter in list(FACTORY.adapters.values()):
        adapter.cleanup_connections()
        adapter.cache.clear()
        if adapter.type() == "duckdb":
            from dbt.adapters.duckdb.connections import DuckDBConnectionManager

            if DuckDBConnectionManager._ENV is not None:
                DuckDBConnectionManager._ENV.close()


def invoke_uxt(args, expect_pass):
    runner = UxtRunner(args)
    proc = runner.invoke()
    failed = proc.returncode != 0
    if failed:
        # dbt raises rather than returns results when nothing ran (a bad project) and when a
        # run hook fails; `run-operation` reports its failure as a result.
        hook_failed = re.search(r"uxt::hook::", proc.stderr + proc.stdout)
        nothing_ran = not runner.fresh_results and runner.command() != "run-operation"
        if hook_failed or nothing_ran:
            raise runner.exception()
    if expect_pass is not None and (not failed) != expect_pass:
        raise UxtError(
            f"uxt {runner.command()} exited with {proc.returncode}, the test expected "
            f"{'success' if expect_pass else 'failure'}:\n{runner.error_summary()}"
        )
    # dbt writes its whole log on stdout; uxt's text log goes to both streams.
    return runner.result(), proc.stdout + proc.stderr


def uxt_run_dbt(args=None, expect_pass=True, callbacks=None):
    if callbacks:
        raise NotImplementedError("event callbacks: the harness cannot feed dbt events from uxt")
    return invoke_uxt(args, expect_pass)[0]


def uxt_run_dbt_and_capture(args=None, expect_pass=True):
    return invoke_uxt(args, expect_pass)


def uxt_get_manifest(project_root, target_dir=None):
    """dbt's tests read the manifest from dbt's partial-parse file; uxt's is manifest.json, read
    with dbt's own classes."""
    from dbt.artifacts.schemas.manifest import WritableManifest
    from dbt.contracts.graph.manifest import Manifest

    path = os.path.join(str(target_dir or os.path.join(str(project_root), "target")), "manifest.json")
    if not os.path.exists(path):
        return None
    return Manifest.from_writable_manifest(WritableManifest.read_and_check_versions(path))
