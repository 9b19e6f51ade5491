#!/usr/bin/env python3
"""protoctl against the AWS CLI v1 on the same emulator (run by scripts/bench).

Seeds benchmark data through the AWS APIs (boto3), then times each task with both tools,
alternating them, and reports per task: median wall time, client CPU (user+sys of the
client processes), the ratio, the emulator floor (the minimum requests made by a bare
boto3 loop in-process), and request counts (from the emulator's request log). Functions get
the aws:cloudformation:* tags real CloudFormation gives them (moto does not). Stack listing
runs warm (protoctl's function-name cache filled) and cold, cold again with those tags taken
off (the per-stack fallback), and with --no-activity. Then
start-up (the console's stack list drawn after launch, warm and cold cache), and peak RSS: of
headless runs (/usr/bin/time), and of the console driven in tmux to its log screen holding
every event, to its objects screen with every object of a bucket loaded and to its items
screen with every item of the table loaded (per row: above the console's RSS on its stack list).
"""

import argparse
import datetime as dt
import json
import os
import platform
import re
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

SIZES = {
    "quick": dict(stacks=40, tagged=20, items=2000, objects=2500, versions=1500, events=5000, mem_objects=2500, runs=3, empty_runs=1),
    "full": dict(stacks=1000, tagged=500, items=50000, objects=20000, versions=10000, events=100000, mem_objects=20000, runs=3, empty_runs=1),
}

TAGS = [{"Key": "protoctl:prototype", "Value": "true"}, {"Key": "team", "Value": "bench"}]
DATA_STACK = "bench-data"
MEM_STACK = "bench-mem"


class ConsoleTimeout(Exception):
    pass


def template(versioned_bucket: bool, table: bool, function: bool) -> str:
    res = {}
    if table:
        res["Table"] = {"Type": "AWS::DynamoDB::Table", "Properties": {
            "TableName": {"Fn::Sub": "${AWS::StackName}-items"}, "BillingMode": "PAY_PER_REQUEST",
            "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}]}}
        res["Objects"] = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-objects"}}}
    if versioned_bucket:
        res["Versions"] = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Fn::Sub": "${AWS::StackName}-versions"}}}
    if function:
        res["FnLogGroup"] = {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${AWS::StackName}-fn"}}}
        res["Role"] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com"]}, "Action": ["sts:AssumeRole"]}]}}}
        res["Fn"] = {"Type": "AWS::Lambda::Function", "DependsOn": ["FnLogGroup"], "Properties": {
            "FunctionName": {"Fn::Sub": "${AWS::StackName}-fn"}, "Runtime": "nodejs20.x", "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": "exports.handler = async () => ({});"}}}
    if not res:
        res["Topic"] = {"Type": "AWS::SNS::Topic"}
    return json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": res})


class Bench:
    def __init__(self, args):
        self.a = args
        self.size = SIZES["quick" if args.quick else "full"]
        cfg = Config(retries={"max_attempts": 10, "mode": "standard"}, max_pool_connections=32)
        kw = dict(endpoint_url=args.endpoint, region_name="us-east-1", config=cfg)
        self.cfn = boto3.client("cloudformation", **kw)
        self.s3 = boto3.client("s3", **kw)
        self.ddb = boto3.client("dynamodb", **kw)
        self.logs = boto3.client("logs", **kw)
        self.lam = boto3.client("lambda", **kw)
        self.config = os.path.join(args.home, "bench.toml")
        with open(self.config, "w") as f:
            # since: the console's tail starts a day back (the events were put an hour before seeding).
            f.write('[discovery]\ntags = ["protoctl:prototype=true", "team=bench"]\n[logs]\nbuffer = 100000\nsince = "1d"\n'
                    '[dynamodb]\npage_size = 1000\n')
        self.rows = []
        self.notes = {}

    # ---- seeding -------------------------------------------------------------------------
    def create_stack(self, name, body, tagged=True):
        kw = dict(StackName=name, TemplateBody=body, Capabilities=["CAPABILITY_IAM"])
        if tagged:
            kw["Tags"] = TAGS
        else:
            kw["Tags"] = [{"Key": "team", "Value": "other"}]
        self.cfn.create_stack(**kw)
        if '"AWS::Lambda::Function"' in body or '"AWS::DynamoDB::Table"' in body:
            self.stack_tags_on_resources(name, True)

    def stack_tags_on_resources(self, name, on):
        """Puts on (or takes off) the stack's functions and tables the tags real CloudFormation
        gives every resource it creates (aws:cloudformation:stack-name, stack-id, logical-id);
        moto does not, and protoctl's Resource Groups Tagging sweeps read them. (Buckets get
        them too on AWS, but S3 refuses system tags from anyone but CloudFormation, moto
        included.)"""
        stack_id = self.cfn.describe_stacks(StackName=name)["Stacks"][0]["StackId"]
        for r in self.cfn.list_stack_resources(StackName=name)["StackResourceSummaries"]:
            tags = {"aws:cloudformation:stack-name": name, "aws:cloudformation:stack-id": stack_id,
                    "aws:cloudformation:logical-id": r["LogicalResourceId"]}
            if r["ResourceType"] == "AWS::Lambda::Function":
                arn = self.lam.get_function(FunctionName=r["PhysicalResourceId"])["Configuration"]["FunctionArn"]
                if on:
                    self.lam.tag_resource(Resource=arn, Tags=tags)
                else:
                    self.lam.untag_resource(Resource=arn, TagKeys=list(tags))
            elif r["ResourceType"] == "AWS::DynamoDB::Table":
                arn = self.ddb.describe_table(TableName=r["PhysicalResourceId"])["Table"]["TableArn"]
                if on:
                    self.ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in tags.items()])
                else:
                    self.ddb.untag_resource(ResourceArn=arn, TagKeys=list(tags))

    def seed(self):
        s = self.size
        t0 = time.perf_counter()
        plain = template(False, False, False)
        # One at a time: moto's CloudFormation is not safe for concurrent CreateStack
        # (seen here: "OrderedDict mutated during iteration" at 16 threads).
        for i in range(s["stacks"]):
            self.create_stack(f"bench-shelf-{i:04d}", plain, tagged=i < s["tagged"])
        self.create_stack(DATA_STACK, template(False, True, True))
        table, bucket = f"{DATA_STACK}-items", f"{DATA_STACK}-objects"

        def put_items(start):
            reqs = [{"PutRequest": {"Item": {"pk": {"S": f"item-{i:06d}"}, "n": {"N": str(i)}, "name": {"S": f"name {i}"},
                                            "tags": {"SS": ["a", "b"]}, "blob": {"B": b"\x00\x01" * 8}}}}
                    for i in range(start, min(start + 25, s["items"]))]
            while reqs:
                out = self.ddb.batch_write_item(RequestItems={table: reqs})
                reqs = out.get("UnprocessedItems", {}).get(table, [])

        with ThreadPoolExecutor(8) as ex:
            list(ex.map(put_items, range(0, s["items"], 25)))
        with ThreadPoolExecutor(16) as ex:
            list(ex.map(lambda i: self.s3.put_object(Bucket=bucket, Key=f"data/{i % 50:02d}/obj-{i:06d}.json", Body=b'{"x":1}'), range(s["objects"])))
        group = f"/aws/lambda/{DATA_STACK}-fn"
        self.logs.create_log_stream(logGroupName=group, logStreamName="bench")
        now = int(time.time() * 1000) - 3_600_000
        for start in range(0, s["events"], 10_000):
            events = [{"timestamp": now + i, "message": f"REPORT RequestId: {i:08d}-0000-4000-8000-000000000000\tDuration: 1.0 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 60 MB\t"}
                      for i in range(start, min(start + 10_000, s["events"]))]
            self.logs.put_log_events(logGroupName=group, logStreamName="bench", logEvents=events)
        print(f"seeded in {time.perf_counter() - t0:.1f}s: {s}", file=sys.stderr)

    def seed_versions(self, name):
        """A stack whose versioned bucket holds `versions` versions (a fifth delete markers)."""
        self.create_stack(name, template(True, False, False))
        bucket = f"{name}-versions"
        self.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        keys = self.size["versions"] // 5

        def fill(k):
            for v in range(4):
                self.s3.put_object(Bucket=bucket, Key=f"v/{k:05d}", Body=f"{v}".encode())
            self.s3.delete_object(Bucket=bucket, Key=f"v/{k:05d}")

        with ThreadPoolExecutor(16) as ex:
            list(ex.map(fill, range(keys)))
        return bucket

    def seed_plain(self, name):
        self.create_stack(name, template(True, False, False))
        bucket = f"{name}-versions"
        with ThreadPoolExecutor(16) as ex:
            list(ex.map(lambda i: self.s3.put_object(Bucket=bucket, Key=f"p/{i:06d}", Body=b"x"), range(self.size["versions"])))
        return bucket

    def seed_mem(self):
        """A stack whose bucket holds `mem_objects` objects at its root (one level for the console)."""
        t0 = time.perf_counter()
        self.create_stack(MEM_STACK, template(True, False, False))
        bucket = f"{MEM_STACK}-versions"
        with ThreadPoolExecutor(16) as ex:
            list(ex.map(lambda i: self.s3.put_object(Bucket=bucket, Key=f"obj-{i:06d}.json", Body=b'{"x":1}'), range(self.size["mem_objects"])))
        print(f"seeded {self.size['mem_objects']} objects into {bucket} in {time.perf_counter() - t0:.1f}s", file=sys.stderr)
        return bucket

    # ---- measuring -----------------------------------------------------------------------
    def requests_so_far(self):
        with open(self.a.emulator_log, errors="replace") as f:
            return sum(1 for line in f if 'HTTP/1.1" ' in line)

    def measure(self, fn):
        """Runs fn (which starts child processes or makes in-process calls); returns
        wall seconds, client CPU seconds (children), and requests seen by the emulator."""
        r0 = self.requests_so_far()
        c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s0 = resource.getrusage(resource.RUSAGE_SELF)
        t0 = time.perf_counter()
        fn()
        wall = time.perf_counter() - t0
        c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        s1 = resource.getrusage(resource.RUSAGE_SELF)
        cpu = (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
        self_cpu = (s1.ru_utime - s0.ru_utime) + (s1.ru_stime - s0.ru_stime)
        time.sleep(0.3)  # let the emulator flush its request log
        return wall, cpu, self_cpu, self.requests_so_far() - r0

    def run(self, argv, out=subprocess.DEVNULL):
        env = dict(os.environ)
        r = subprocess.run(argv, stdout=out, stderr=subprocess.PIPE, env=env)
        if r.returncode != 0:
            raise SystemExit(f"{argv[:4]} failed: {r.stderr.decode(errors='replace')[-400:]}")

    def await_protoctl(self):
        """With --wait-for FILE: waits (untimed) until FILE exists, e.g. the marker another
        process writes when the binary it builds is complete."""
        if not self.a.wait_for or os.path.exists(self.a.wait_for):
            return
        print(f"waiting for {self.a.wait_for} before running protoctl", file=sys.stderr)
        while not os.path.exists(self.a.wait_for):
            time.sleep(5)

    def protoctl(self, *args):
        return [self.a.protoctl, "--endpoint-url", self.a.endpoint, "--config", self.config,
                "--log-file", os.path.join(self.a.home, "protoctl.log"), *args]

    def aws(self, *args):
        return [self.a.aws, "--endpoint-url", self.a.endpoint, "--region", "us-east-1", "--output", "json", *args]

    def task(self, name, p_argv, cli_argv_or_fn, floor_fn, runs, before=None):
        """before: called (untimed) before each protoctl run."""
        p, c = [], []
        for _ in range(runs):
            if before:
                before()
            p.append(self.measure(lambda: self.run(p_argv)))
            if callable(cli_argv_or_fn):
                c.append(self.measure(cli_argv_or_fn))
            else:
                c.append(self.measure(lambda: self.run(cli_argv_or_fn)))
        floor = self.measure(floor_fn)
        self.add_row(name, p, c, floor)

    def add_row(self, name, p, c, floor):
        med = lambda xs, i: statistics.median(x[i] for x in xs)
        row = dict(task=name, p_wall=med(p, 0), p_cpu=med(p, 1), p_req=int(med(p, 3)),
                   c_wall=med(c, 0), c_cpu=med(c, 1), c_req=int(med(c, 3)), floor_wall=floor[0], min_req=floor[3])
        self.rows.append(row)
        print(f"{name}: protoctl {row['p_wall']:.2f}s/{row['p_cpu']:.2f}cpu/{row['p_req']}req  "
              f"aws {row['c_wall']:.2f}s/{row['c_cpu']:.2f}cpu/{row['c_req']}req  floor {row['floor_wall']:.2f}s/{row['min_req']}req",
              file=sys.stderr)

    # ---- the tasks -----------------------------------------------------------------------
    def read_tasks(self):
        runs = self.size["runs"]
        table, bucket, group = f"{DATA_STACK}-items", f"{DATA_STACK}-objects", f"/aws/lambda/{DATA_STACK}-fn"

        def floor_stacks():
            for _ in self.cfn.get_paginator("describe_stacks").paginate():
                pass

        # protoctl keeps each stack's function names between runs (XDG_CACHE_HOME, set by
        # isolate_aws_env): warm is what a user opening the tool many times a day sees; cold
        # deletes the cache before each protoctl run. The CLI side is the same in both rows.
        cache = os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.join(self.a.home, "cache")), "protoctl", "stack-functions.json")

        def drop_cache():
            if os.path.exists(cache):
                os.unlink(cache)

        stacks = self.protoctl("stacks", "--output", "json")
        cli_stacks = self.aws("cloudformation", "describe-stacks", "--query", "Stacks[?Tags[?Key=='team' && Value=='bench']]")
        self.run(stacks)  # untimed warm-up: fills the cache
        if not os.path.exists(cache):
            print(f"warning: the warm-up run left no {cache}: the warm row is not warm", file=sys.stderr)
        self.task("list tagged stacks", stacks, cli_stacks, floor_stacks, runs)
        self.task("list tagged stacks (cold cache)", stacks, cli_stacks, floor_stacks, runs, before=drop_cache)
        # The same without CloudFormation's tags on the resources (as moto leaves them): the
        # tagging sweeps find nothing, so every stack's resources are listed one by one.
        self.stack_tags_on_resources(DATA_STACK, False)
        try:
            self.task("list tagged stacks (cold cache, no stack tags on resources)", stacks, cli_stacks, floor_stacks, runs,
                      before=drop_cache)
        finally:
            self.stack_tags_on_resources(DATA_STACK, True)
        self.task("list tagged stacks (--no-activity)", self.protoctl("stacks", "--no-activity", "--output", "json"),
                  cli_stacks, floor_stacks, runs)

        def floor_objects():
            for _ in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                pass

        self.task("list all objects", self.protoctl("objects", DATA_STACK, "--bucket", bucket, "--recursive", "--output", "json"),
                  self.aws("s3api", "list-objects-v2", "--bucket", bucket), floor_objects, runs)

        def floor_items():
            for _ in self.ddb.get_paginator("scan").paginate(TableName=table):
                pass

        self.task("scan all items", self.protoctl("items", DATA_STACK, "--table", table, "--output", "json"),
                  self.aws("dynamodb", "scan", "--table-name", table), floor_items, runs)

        start = str(int((time.time() - 14 * 86400) * 1000))

        def floor_logs():
            for _ in self.logs.get_paginator("filter_log_events").paginate(logGroupName=group, startTime=int(start)):
                pass

        self.task("fetch all log events", self.protoctl("logs", DATA_STACK, "--since", "14d", "--output", "json"),
                  self.aws("logs", "filter-log-events", "--log-group-name", group, "--start-time", start), floor_logs, runs)

    def cli_empty_versions(self, bucket):
        """What a user scripts with the CLI: list-object-versions + delete-objects, page by page."""
        while True:
            out = subprocess.run(self.aws("s3api", "list-object-versions", "--bucket", bucket, "--max-items", "1000"),
                                 capture_output=True, check=True).stdout
            page = json.loads(out or b"{}")
            objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in page.get("Versions", []) + page.get("DeleteMarkers", [])]
            if not objs:
                return
            with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
                json.dump({"Objects": objs, "Quiet": True}, f)
            subprocess.run(self.aws("s3api", "delete-objects", "--bucket", bucket, "--delete", f"file://{f.name}"),
                           capture_output=True, check=True)
            os.unlink(f.name)

    def bucket_requests_since(self, line0, bucket):
        """Requests to `bucket` the emulator logged after request line `line0`."""
        time.sleep(0.3)
        with open(self.a.emulator_log, errors="replace") as f:
            lines = [line for line in f if 'HTTP/1.1" ' in line]
        return sum(1 for line in lines[line0:] if f"/{bucket}" in line)

    def teardown_timed(self, name, bucket, phases, bucket_reqs):
        """protoctl teardown --yes; records the emptying phase (from the teardown's own step
        times: guards passed -> bucket emptied) and the requests made to the bucket."""
        out = os.path.join(self.a.home, "teardown.json")
        line0 = self.requests_so_far()
        with open(out, "w") as f:
            m = self.measure(lambda: self.run(self.protoctl("teardown", name, "--yes", "--output", "json"), out=f))
        steps = json.load(open(out))[0]["steps"]
        when = lambda step: dt.datetime.fromisoformat(next(s["time"] for s in steps if s["step"] == step)[:26].rstrip("Z"))
        phases.append((when("empty_bucket") - when("guards")).total_seconds())
        bucket_reqs.append(self.bucket_requests_since(line0, bucket))
        return m

    def cli_timed(self, fn, bucket, bucket_reqs):
        line0 = self.requests_so_far()
        m = self.measure(fn)
        bucket_reqs.append(self.bucket_requests_since(line0, bucket))
        return m

    def empty_tasks(self):
        p, c, pp, cc = [], [], [], []
        phase_v, phase_p, req_p, req_c, req_pp, req_cc = [], [], [], [], [], []
        for run in range(self.size["empty_runs"]):
            name = f"bench-empty-p{run}"
            bucket = self.seed_versions(name)
            p.append(self.teardown_timed(name, bucket, phase_v, req_p))
            name = f"bench-empty-c{run}"
            bucket = self.seed_versions(name)
            c.append(self.cli_timed(lambda: self.cli_empty_versions(bucket), bucket, req_c))
            name = f"bench-plain-p{run}"
            bucket = self.seed_plain(name)
            pp.append(self.teardown_timed(name, bucket, phase_p, req_pp))
            name = f"bench-plain-c{run}"
            bucket = self.seed_plain(name)
            cc.append(self.cli_timed(lambda: self.run(self.aws("s3", "rm", f"s3://{bucket}", "--recursive")), bucket, req_cc))
        med = statistics.median
        self.notes["emptying phase of the teardown, versioned bucket (after the plan's listing)"] = (
            f"{med(phase_v):.2f} s; requests to the bucket: protoctl {int(med(req_p))} (plan's listing included), aws {int(med(req_c))}")
        self.notes["emptying phase of the teardown, plain bucket (after the plan's listing)"] = (
            f"{med(phase_p):.2f} s against {med(x[0] for x in cc):.2f} s for aws s3 rm --recursive "
            f"({med(x[0] for x in cc) / max(med(phase_p), 1e-9):.0f}x); requests to the bucket: protoctl {int(med(req_pp))} "
            f"(plan's listing included), aws {int(med(req_cc))}")
        bucket = self.seed_versions("bench-empty-floor")

        def floor_versions():
            pages = list(self.s3.get_paginator("list_object_versions").paginate(Bucket=bucket))
            for pg in pages:
                objs = [{"Key": v["Key"], "VersionId": v["VersionId"]} for v in pg.get("Versions", []) + pg.get("DeleteMarkers", [])]
                if objs:
                    self.s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})

        self.add_row(f"empty versioned bucket ({self.size['versions']} versions + markers)", p, c, self.measure(floor_versions))
        bucket = self.seed_plain("bench-plain-floor")

        def floor_plain():
            for pg in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                objs = [{"Key": o["Key"]} for o in pg.get("Contents", [])]
                if objs:
                    self.s3.delete_objects(Bucket=bucket, Delete={"Objects": objs, "Quiet": True})

        self.add_row(f"empty plain bucket ({self.size['versions']} objects; aws s3 rm --recursive)", pp, cc, self.measure(floor_plain))

    def shelve_task(self):
        """Shelves the data stack (every item, every object) once: wall time and peak RSS,
        against the listing alone (boto3 scan + list pages: the floor) and the AWS CLI's way
        to copy the same data out (dynamodb scan to a file + s3 sync to a folder)."""
        table, bucket = f"{DATA_STACK}-items", f"{DATA_STACK}-objects"
        items, objects = self.size["items"], self.size["objects"]

        def floor():
            for _ in self.ddb.get_paginator("scan").paginate(TableName=table):
                pass
            for _ in self.s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
                pass

        cli_dir = os.path.join(self.a.home, "cli-copy")

        def cli_copy():
            with open(os.path.join(self.a.home, "cli-items.json"), "w") as f:
                self.run(self.aws("dynamodb", "scan", "--table-name", table), out=f)
            self.run(self.aws("s3", "sync", f"s3://{bucket}", cli_dir))

        c = self.measure(cli_copy)
        fl = self.measure(floor)
        shelf = os.path.join(self.a.home, "shelf")
        rss = os.path.join(self.a.home, "shelve-time.txt")
        out = os.path.join(self.a.home, "shelve.json")
        argv = ["/usr/bin/time", "-f", "%M", "-o", rss, *self.protoctl("shelve", DATA_STACK, "--to", shelf, "--yes", "--output", "json",
                                                                      "--audit-log", os.path.join(self.a.home, "audit.jsonl"))]
        self.await_protoctl()
        with open(out, "w") as f:
            p = self.measure(lambda: self.run(argv, out=f))
        done = json.load(open(out))[0]
        mb = int(open(rss).read().split()[-1]) / 1024
        if done["items"] != items or done["objects"] != objects:
            print(f"warning: shelve archived {done['items']} items, {done['objects']} objects", file=sys.stderr)
        self.add_row(f"shelve ({items} items, {objects} objects; aws: scan + s3 sync)", [p], [c], fl)
        self.notes[f"shelve of {items} items and {objects} objects"] = (
            f"{p[0]:.2f} s (archive written, read back and verified, stack torn down) against {fl[0]:.2f} s "
            f"for the listing alone; peak RSS {mb:.1f} MB; archive {done['size_bytes'] / 1e6:.1f} MB")

    def peak_rss(self, argv, out=subprocess.DEVNULL):
        """Peak RSS of one headless run (/usr/bin/time), in MB."""
        rss = os.path.join(self.a.home, "time.txt")
        self.run(["/usr/bin/time", "-f", "%M", "-o", rss, *argv], out=out)
        return int(open(rss).read().split()[-1]) / 1024
    def stack_cache(self):
        return os.path.join(os.environ.get("XDG_CACHE_HOME", os.path.join(self.a.home, "cache")), "protoctl", "stack-functions.json")

    def launch_to_list(self, cold):
        """Milliseconds from launch to the console's first frame and to its stack list drawn,
        from its own log; `cold` deletes the function-name cache first (else a headless
        listing fills it)."""
        cache = self.stack_cache()
        if cold:
            if os.path.exists(cache):
                os.unlink(cache)
        elif not os.path.exists(cache):
            self.run(self.protoctl("stacks", "--output", "json"))
        log = os.path.join(self.a.home, "startup.log")
        if os.path.exists(log):
            os.unlink(log)
        # A socket per launch: the previous launch's tmux server may still be shutting down.
        self.launches = getattr(self, "launches", 0) + 1
        sock = f"protoctl-bench-{os.getpid()}-{self.launches}"
        argv = [self.a.protoctl, "--endpoint-url", self.a.endpoint, "--config", self.config, "--log-file", log]
        cmd = " ".join(argv) + "; sleep 5"
        env = dict(os.environ, PROTOCTL_LOG="info")
        subprocess.run(["tmux", "-L", sock, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "sh", "-c", cmd], env=env, check=True)
        first = drawn = None
        deadline = time.time() + 60
        while time.time() < deadline and drawn is None:
            time.sleep(0.2)
            if os.path.exists(log):
                for line in open(log):
                    if "first_frame_ms" in line and first is None:
                        first = line.split("first_frame_ms=")[1].split()[0]
                    if "stacks_drawn_ms" in line and drawn is None:
                        drawn = line.split("stacks_drawn_ms=")[1].split()[0]
        subprocess.run(["tmux", "-L", sock, "send-keys", "q"], check=False)
        subprocess.run(["tmux", "-L", sock, "kill-server"], check=False)
        return first, drawn

    def peak_rss(self, argv, out=subprocess.DEVNULL):
        """Peak RSS of one headless run (/usr/bin/time), in MB."""
        rss = os.path.join(self.a.home, "time.txt")
        self.run(["/usr/bin/time", "-f", "%M", "-o", rss, *argv], out=out)
        return int(open(rss).read().split()[-1]) / 1024

    def startup_and_memory(self):
        extra = {}
        # Peak RSS of the log fetch (all events).
        extra["peak RSS, logs (all events)"] = f"{self.peak_rss(self.protoctl('logs', DATA_STACK, '--since', '14d', '--output', 'json')):.1f} MB"
        # Start-up: the console logs when its first frame and the stack list are drawn; the list
        # does not wait for the activity lookups, so a cold cache should not delay it.
        warm = [self.launch_to_list(cold=False) for _ in range(self.size["runs"])]
        cold = [self.launch_to_list(cold=True) for _ in range(self.size["runs"])]
        med = lambda xs, i: statistics.median(int(x[i]) for x in xs if x[i] is not None) if any(x[i] is not None for x in xs) else None
        extra["first frame after launch"] = f"{med(warm, 0)} ms"
        extra[f"stack list drawn after launch, warm cache ({self.size['tagged']} tagged stacks)"] = f"{med(warm, 1)} ms"
        extra[f"stack list drawn after launch, cold cache ({self.size['tagged']} tagged stacks)"] = f"{med(cold, 1)} ms"
        if "memory" not in self.a.only:
            return extra
        # Memory at size: the console holding every event of the data stack with its tail
        # started (buffer = 100000 in bench.toml), then listing every object of a bucket,
        # headless and in the console.
        events = self.size["events"]
        extra[f"peak RSS, console tailing {events} events"] = self.console_rss(f"tailing {events} events", self.drive_tail)
        bucket = self.seed_mem()
        n = self.size["mem_objects"]
        listing = os.path.join(self.a.home, "objects.jsonl")
        with open(listing, "w") as f:
            mb = self.peak_rss(self.protoctl("objects", MEM_STACK, "--recursive", "--bucket", bucket, "--output", "json"), out=f)
        lines = sum(1 for _ in open(listing))
        if lines != n:
            print(f"warning: objects --recursive printed {lines} lines for {n} objects", file=sys.stderr)
        extra[f"peak RSS, objects --recursive ({n} objects)"] = f"{mb:.1f} MB"
        extra[f"peak RSS, console objects screen with all {n} objects loaded"] = self.console_rss(
            f"{n} objects loaded", lambda: self.drive_objects(bucket, n))
        extra.update(self.items_memory())
        return extra

    def items_memory(self):
        """Peak RSS of the console on its stack list, then on the items screen with every item
        of the data table loaded through paging; the difference per item."""
        n = self.size["items"]
        base = self.console_rss("on the stack list", lambda: self.open_stack(None))
        items = self.console_rss(f"{n} items loaded", lambda: self.drive_items(n))
        out = {"peak RSS, console on the stack list": base,
               f"peak RSS, console items screen with all {n} items loaded": items}
        try:
            per_row = (float(items.split()[0]) - float(base.split()[0])) * 1024 / n
            out["console items screen, memory per loaded item"] = f"{per_row:.2f} KB"
        except ValueError:
            pass
        return out

    # ---- the console, driven through tmux --------------------------------------------------
    def tmux(self, *args):
        return subprocess.run(["tmux", "-L", self.sock, *args], capture_output=True, text=True)

    def keys(self, *keys, literal=False):
        self.tmux("send-keys", *(["-l"] if literal else []), *keys)

    def wait_screen(self, what, test, timeout):
        """Polls the pane until test(text) is truthy and returns that; ConsoleTimeout when the
        console exits or `timeout` seconds pass (the last screen goes to stderr)."""
        deadline = time.time() + timeout
        text = ""
        while time.time() < deadline:
            if os.path.exists(self.console_time) and os.path.getsize(self.console_time):
                raise ConsoleTimeout(f"the console exited before {what} (see {self.console_log})")
            text = self.tmux("capture-pane", "-p").stdout
            found = test(text)
            if found:
                return found
            time.sleep(0.25)
        print(f"last screen:\n{text}", file=sys.stderr)
        raise ConsoleTimeout(f"{what}: not on screen after {timeout:.0f} s")

    def open_stack(self, name):
        """From the stack list: filter to `name` and open its detail (None: only wait for the
        list and the activity lookups behind it)."""
        deadline = time.time() + 120
        while not (os.path.exists(self.console_log) and "stacks_drawn_ms" in open(self.console_log).read()):
            if time.time() > deadline:
                raise ConsoleTimeout("the stack list: not drawn after 120 s")
            time.sleep(0.2)
        if name is None:
            time.sleep(3)
            return
        self.keys("/")
        self.keys(name, literal=True)
        self.keys("Enter")
        self.wait_screen(f"stack {name} selected", lambda t: re.search(rf"›\s+{re.escape(name)}\s", t), 30)
        self.keys("Enter")
        self.wait_screen(f"the detail of {name}", lambda t: re.search(r"Resources \(\d+\)", t), 60)

    def drive_tail(self):
        """Stack list → bench-data (/ filter, enter) → l (tail every function) until the title
        counts every event and the live tail has run: on the emulator a session sends one
        update and ends, so the title shows "polling" after it."""
        n = self.size["events"]
        self.open_stack(DATA_STACK)
        self.keys("l")

        def loaded(text):
            m = re.search(rf"Logs · {DATA_STACK} · all functions · (\d+) events(.*)", text)
            return m if m and int(m.group(1)) >= n and "polling" in m.group(2) else None

        m = self.wait_screen(f"{n} events in the tail", loaded, 120 + n / 500)
        print(f"console:{m.group(0).rstrip(' ─┐')}", file=sys.stderr)
        time.sleep(2)  # the tail keeps polling meanwhile

    def drive_objects(self, bucket, n):
        """Stack list → bench-mem → b (buckets) → enter (browser at the root), then G until the
        title counts every object with no further page ("+ loaded" gone): the browser loads a
        page when the cursor comes near the end of what is loaded, one page per G."""
        self.open_stack(MEM_STACK)
        self.keys("b")
        self.wait_screen(f"bucket {bucket} listed", lambda t: re.search(rf"›.*{re.escape(bucket)}", t), 60)
        self.keys("Enter")
        deadline = time.time() + 120 + n / 100  # moto: ~1 s a page at 20,000 keys, more as the bucket grows
        title = rf"s3://{re.escape(bucket)}/ · (\d+)(\+ loaded)?"
        while True:
            m = self.wait_screen(f"the browser of {bucket}", lambda t: re.search(title, t), 60)
            if int(m.group(1)) >= n and not m.group(2):
                break
            if time.time() > deadline:
                raise ConsoleTimeout(f"the browser of {bucket}: {m.group(1)} of {n} objects loaded after {120 + n / 100:.0f} s")
            self.keys("G")
            time.sleep(0.25)
        print(f"console: s3://{bucket}/ · {m.group(1)} loaded", file=sys.stderr)
        time.sleep(1)

    def drive_items(self, n):
        """Stack list → bench-data → t (tables) → enter (items), then G until the status line
        counts every item and says all are loaded (a page loads as the cursor nears the end)."""
        self.open_stack(DATA_STACK)
        self.keys("t")
        self.wait_screen("the tables of the data stack", lambda t: re.search(rf"{DATA_STACK}-items", t), 60)
        self.keys("Enter")
        deadline = time.time() + 120 + n / 50
        while True:
            m = self.wait_screen("the items screen", lambda t: re.search(r" (\d+) loaded · \d+ scanned([^\n]*)", t), 60)
            if int(m.group(1)) >= n and "all loaded" in m.group(2):
                break
            if time.time() > deadline:
                raise ConsoleTimeout(f"the items screen: {m.group(1)} of {n} items loaded")
            self.keys("G")
            time.sleep(0.25)
        print(f"console: {m.group(1)} items loaded", file=sys.stderr)
        time.sleep(1)

    def console_rss(self, what, drive):
        """Runs the console under /usr/bin/time in a detached tmux session, lets drive() take it
        to the state measured, quits with q and returns its peak RSS (or why there is none)."""
        self.sock = f"protoctl-bench-console-{os.getpid()}"
        self.console_time = os.path.join(self.a.home, "console-time.txt")
        self.console_log = os.path.join(self.a.home, "console.log")
        for f in (self.console_time, self.console_log):
            if os.path.exists(f):
                os.unlink(f)
        argv = ["/usr/bin/time", "-f", "%M", "-o", self.console_time, self.a.protoctl, "--endpoint-url", self.a.endpoint,
                "--config", self.config, "--log-file", self.console_log]
        cmd = " ".join(shlex.quote(a) for a in argv) + "; sleep 60"
        env = dict(os.environ, PROTOCTL_LOG="info")
        t0 = time.perf_counter()
        try:
            subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "sh", "-c", cmd],
                           env=env, check=True)
            drive()
            self.keys("q")
            deadline = time.time() + 30
            while not (os.path.exists(self.console_time) and os.path.getsize(self.console_time)):
                if time.time() > deadline:
                    raise ConsoleTimeout("the console did not exit within 30 s of q")
                time.sleep(0.2)
            mb = int(open(self.console_time).read().split()[-1]) / 1024
            print(f"console {what}: peak RSS {mb:.1f} MB ({time.perf_counter() - t0:.0f} s)", file=sys.stderr)
            return f"{mb:.1f} MB"
        except (ConsoleTimeout, subprocess.CalledProcessError) as e:
            print(f"console {what}: not measured: {e}", file=sys.stderr)
            return f"not measured ({e})"
        finally:
            self.tmux("kill-server")

    def cost_task(self):
        """Requests `protoctl cost` makes for the whole shelf (bound: docs/cost.md)."""
        n = self.size["tagged"] + 1
        wall, _, _, req = self.measure(lambda: self.run(self.protoctl("cost", "--output", "json")))
        self.notes["cost of the shelf"] = (
            f"`protoctl cost` over {n} prototype stacks: {req} requests ({req / n:.2f} a stack), {wall:.2f} s; "
            "bound (docs/cost.md): DescribeStacks pages + 2 a stack + 1 a table and a log group "
            "+ 1 GetMetricData per 500 metrics + 1 ListMetrics page per 500 bucket size metrics")

    # ---- the soak: the console tailing a stack that keeps receiving events ----------------
    def soak(self, minutes):
        """Seeds bench-soak (one function), keeps putting log events into its group, drives the
        console in tmux to its tail and switches screens for `minutes`, samples the console's
        RSS every 10 s, and reports the samples and every ERROR / WARN / panic line of its log."""
        import threading
        name = "bench-soak"
        self.create_stack(name, template(False, False, True))
        for _ in range(600):
            st = self.cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]
            if st.endswith("_COMPLETE"):
                break
            time.sleep(0.2)
        group = f"/aws/lambda/{name}-fn"
        try:
            self.logs.create_log_group(logGroupName=group)
        except self.logs.exceptions.ResourceAlreadyExistsException:
            pass
        stop = threading.Event()
        sent = [0]

        def feed():
            n = 0
            while not stop.is_set():
                stream = f"2026/01/01/[$LATEST]{n // 500:08d}"
                if n % 500 == 0:
                    self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
                now = int(time.time() * 1000)
                rid = f"{n:08d}-0000-4000-8000-000000000000"
                msgs = [f"START RequestId: {rid} Version: $LATEST", f"{dt.datetime.now(dt.timezone.utc).isoformat()}\t{rid}\tINFO\tevent {n}",
                        f"END RequestId: {rid}", f"REPORT RequestId: {rid}\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 64 MB"]
                self.logs.put_log_events(logGroupName=group, logStreamName=stream,
                                         logEvents=[{"timestamp": now, "message": m} for m in msgs])
                sent[0] += len(msgs)
                n += 1
                stop.wait(0.2)

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        self.sock = f"protoctl-soak-{os.getpid()}"
        self.console_time = os.path.join(self.a.home, "soak-exit.txt")
        self.console_log = os.path.join(self.a.home, "soak.log")
        pidfile = os.path.join(self.a.home, "soak.pid")
        for f in (self.console_time, self.console_log, pidfile):
            if os.path.exists(f):
                os.unlink(f)
        argv = [self.a.protoctl, "--endpoint-url", self.a.endpoint, "--config", self.config, "--log-file", self.console_log]
        cmd = f"echo $$ > {shlex.quote(pidfile)}; exec " + " ".join(shlex.quote(a) for a in argv)
        env = dict(os.environ, PROTOCTL_LOG="info")
        samples = []
        try:
            subprocess.run(["tmux", "-L", self.sock, "-f", "/dev/null", "new-session", "-d", "-x", "120", "-y", "40", "sh", "-c", cmd],
                           env=env, check=True)
            self.open_stack(name)
            pid = int(open(pidfile).read())
            t0 = time.time()
            cycle = [("l", 6), ("Escape", 2), ("?", 1), ("Escape", 1), ("l", 6), ("Escape", 2)]
            i, next_sample, shown = 0, t0, 0
            while time.time() - t0 < minutes * 60:
                if time.time() >= next_sample:
                    status = open(f"/proc/{pid}/status").read()
                    kb = int(re.search(r"VmRSS:\s+(\d+)", status).group(1))
                    samples.append((time.time() - t0, kb / 1024))
                    next_sample += 10
                key, wait = cycle[i % len(cycle)]
                self.keys(key)
                i += 1
                if key == "l":
                    m = self.wait_screen("the tail", lambda t: re.search(rf"Logs · {name} · all functions · (\d+) events", t), 60)
                    shown = int(m.group(1))
                time.sleep(wait)
            self.keys("q")
        finally:
            stop.set()
            self.tmux("kill-server")
        log = open(self.console_log, errors="replace").read().splitlines()
        bad = [l for l in log if re.search(r"\bERROR\b|panicked", l)]
        warn = [l for l in log if re.search(r"\bWARN\b", l)]
        rss = [mb for _, mb in samples]
        head = rss[: max(1, len(rss) // 4)]
        tail = rss[-max(1, len(rss) // 4):]
        summary = (f"soak {minutes} min: {sent[0]} log events put, {i} screen switches, RSS first quarter "
                   f"{statistics.mean(head):.1f} MB, last quarter {statistics.mean(tail):.1f} MB, max {max(rss):.1f} MB; "
                   f"last tail showed {shown} events; {len(bad)} ERROR or panic lines, {len(warn)} WARN lines in the log")
        print(summary)
        print("RSS over time (s, MB): " + ", ".join(f"{t:.0f}:{mb:.1f}" for t, mb in samples))
        for l in (bad + warn)[:20]:
            print(f"log: {l}")
        return summary, samples, bad

    def report(self, extra):
        mode = "quick" if self.a.quick else "full"
        lines = [f"| task | protoctl wall | aws wall | wall ratio | emulator floor | protoctl CPU | aws CPU | CPU ratio | protoctl requests | aws requests | minimum requests |",
                 "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for r in self.rows:
            ratio = r["p_wall"] / r["c_wall"] if r["c_wall"] else float("nan")
            cratio = r["p_cpu"] / r["c_cpu"] if r["c_cpu"] else float("nan")
            lines.append(f"| {r['task']} | {r['p_wall']:.2f} s | {r['c_wall']:.2f} s | {ratio:.2f} | {r['floor_wall']:.2f} s | "
                         f"{r['p_cpu']:.2f} s | {r['c_cpu']:.2f} s | {cratio:.2f} | {r['p_req']} | {r['c_req']} | {r['min_req']} |")
        lines.append("")
        for k, v in extra.items():
            lines.append(f"- {k}: {v}")
        table = "\n".join(lines)
        machine = f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}, Python {platform.python_version()}"
        print(table)
        everything = set(self.a.only) == set(PARTS)
        target = self.a.write or ("docs/benchmarks.md" if everything and not self.a.quick else None)
        if target:
            marker = "<!-- bench:begin -->"
            text = open(target).read() if os.path.exists(target) else f"# Benchmarks\n\n{marker}\n<!-- bench:end -->\n"
            head, _, rest = text.partition(marker)
            _, _, tail = rest.partition("<!-- bench:end -->")
            body = (f"{marker}\nRun: `scripts/bench{' --quick' if self.a.quick else ''}` ({mode} sizes: {self.size}), "
                    f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC, on {machine}; emulator moto 5.2.5; "
                    f"medians of {self.size['runs']} alternating runs (emptying: {self.size['empty_runs']}).\n\n{table}\n<!-- bench:end -->")
            open(target, "w").write(head + body + tail)
            print(f"wrote {target}", file=sys.stderr)


PARTS = ("read", "cost", "empty", "startup", "memory", "shelve")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True)
    ap.add_argument("--emulator-log", required=True)
    ap.add_argument("--protoctl", required=True)
    ap.add_argument("--aws", required=True)
    ap.add_argument("--home", required=True)
    ap.add_argument("--quick", action="store_true", help="small sizes (CI)")
    ap.add_argument("--mem-objects", type=int,
                    help="objects in the bucket whose listing's peak RSS is measured (default: 20,000 in full mode; "
                         "100,000 takes the emulator ~20 more minutes to seed and list)")
    ap.add_argument("--shelve-only", action="store_true", help="the same as --only shelve")
    ap.add_argument("--only", default=",".join(PARTS),
                    help="comma-separated parts to run: read (listing tasks), cost, empty (emptying tasks), startup, memory, "
                         "shelve (seed the data stack only; wall time, peak RSS); docs/benchmarks.md is written only when all run")
    ap.add_argument("--size", action="append", default=[], metavar="KEY=N",
                    help="override one size, e.g. --size tagged=100 --size items=5000")
    ap.add_argument("--wait-for", metavar="FILE",
                    help="before the first protoctl run, wait (untimed) until FILE exists (a binary built meanwhile)")
    ap.add_argument("--write", help="write the table into this markdown file (default: docs/benchmarks.md in full mode)")
    ap.add_argument("--soak", type=float, metavar="MINUTES",
                    help="only the soak: the console tails a stack that receives events for MINUTES, switching screens; RSS over time and error lines")
    a = ap.parse_args()
    b = Bench(a)
    if a.soak:
        b.soak(a.soak)
        return
    if a.mem_objects:
        b.size = dict(b.size, mem_objects=a.mem_objects)
    for kv in a.size:
        k, _, v = kv.partition("=")
        if k not in b.size or not v.isdigit():
            raise SystemExit(f"--size {kv}: expected one of {', '.join(b.size)} = a number")
        b.size = dict(b.size, **{k: int(v)})
    a.only = {"shelve"} if a.shelve_only else set(a.only.split(","))
    unknown = a.only - set(PARTS)
    if unknown:
        raise SystemExit(f"--only {','.join(sorted(unknown))}: expected some of {','.join(PARTS)}")
    if a.only == {"shelve"}:
        # Only the data stack is needed.
        b.size = dict(b.size, stacks=0, tagged=0)
    b.seed()
    if a.only != {"shelve"}:
        b.await_protoctl()
    if "read" in a.only:
        b.read_tasks()
    if "cost" in a.only:
        b.cost_task()
    if "empty" in a.only:
        b.empty_tasks()
    extra = b.startup_and_memory() if a.only & {"startup", "memory"} else {}
    if "shelve" in a.only:
        b.shelve_task()
    b.report({**b.notes, **extra})


if __name__ == "__main__":
    main()
