"""Offline synth: the program run under Pulumi's mocks, as the engine loads it, and recorded."""

# `make synth STACK=dev` writes build/synth/dev/resources.json (every resource the program
# declares, secrets masked) and state-machines/<name>.asl.json: what `pulumi up` would create.

from __future__ import annotations

import argparse
import asyncio
import json
import runpy
import sys
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor
from pulumi.runtime.stack import wait_for_rpcs

ROOT = Path(__file__).resolve().parents[1]
PROJECT = "spapi-lake"
ACCOUNT = "123456789012"
MASK = "[secret]"


@dataclass(frozen=True)
class Registration:
    """What the engine learns of a resource beyond its inputs, as a policy pack sees it."""

    urn: str
    parent: str
    protect: bool
    # Each input property → the URNs of the resources its value came from.
    property_dependencies: dict[str, list[str]]
    outputs: dict[str, Any]  # what the provider answered (our mocks: ARNs, names, URLs)


@dataclass
class Synth:
    stack: str
    region: str
    resources: list[dict[str, Any]] = field(default_factory=list)
    # By (type, name); resources.json keeps inputs only.
    registrations: dict[tuple[str, str], Registration] = field(default_factory=dict)

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        return [r for r in self.resources if r["type"] == type_]

    def named(self, type_: str, name: str) -> dict[str, Any]:
        [match] = [r for r in self.of_type(type_) if r["name"] == name]
        return match

    def state_machines(self) -> dict[str, dict[str, Any]]:
        """Each definition by machine (`request-reports`, `ingest-report`)."""
        return {
            r["inputs"]["name"].split(f"{PROJECT}-{self.stack}-", 1)[1]: json.loads(
                r["inputs"]["definition"]
            )
            for r in self.of_type("aws:sfn/stateMachine:StateMachine")
        }


class _Recorder(pulumi.runtime.Mocks):
    """Answers like AWS would (ARNs, URLs, ids) and records every resource's inputs."""

    def __init__(self, synth: Synth, secrets: Sequence[str]) -> None:
        self._synth = synth
        self._secrets = [s for s in secrets if s]
        self.outputs: dict[tuple[str, str], dict[str, Any]] = {}

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        inputs = _mask(args.inputs, self._secrets)
        if args.typ == "aws:secretsmanager/secretVersion:SecretVersion":
            inputs["secretString"] = MASK
        self._synth.resources.append({"type": args.typ, "name": args.name, "inputs": inputs})
        self.outputs[(args.typ, args.name)] = outputs = _outputs(
            args.typ, args.name, args.inputs, self._synth.region
        )
        return f"{args.name}-id", {**args.inputs, **outputs}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        region = self._synth.region
        answers = {
            "aws:index/getCallerIdentity:getCallerIdentity": {
                "accountId": ACCOUNT,
                "arn": f"arn:aws:iam::{ACCOUNT}:user/synth",
                "userId": "synth",
                "id": ACCOUNT,
            },
            "aws:index/getRegion:getRegion": {"name": region, "region": region, "id": region},
            "aws:index/getPartition:getPartition": {
                "partition": "aws",
                "dnsSuffix": "amazonaws.com",
            },
        }
        return answers.get(args.token, {})


class _Monitor(MockMonitor):
    """Keeps, for each resource, what the engine would hand a policy pack besides inputs."""

    def __init__(self, recorder: _Recorder, synth: Synth) -> None:
        super().__init__(recorder)
        self._recorder, self._synth = recorder, synth

    def RegisterResource(self, request: Any) -> Any:
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        key = (request.type, request.name)
        self._synth.registrations[key] = Registration(
            urn=response.urn,
            parent=request.parent,
            protect=request.protect,
            property_dependencies={
                prop: list(deps.urns) for prop, deps in request.propertyDependencies.items()
            },
            outputs=self._recorder.outputs.get(key, {}),
        )
        return response


def _outputs(typ: str, name: str, inputs: Mapping[str, Any], region: str) -> dict[str, Any]:
    physical = str(inputs.get("name") or name)
    prefix = f"arn:aws:{{}}:{region}:{ACCOUNT}:"
    match typ:
        case "aws:s3/bucket:Bucket":
            bucket = str(inputs.get("bucket") or f"{inputs.get('bucketPrefix', name)}0123abcd")
            return {"bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}
        case "aws:sqs/queue:Queue":
            url = f"https://sqs.{region}.amazonaws.com/{ACCOUNT}/{physical}"
            return {"arn": prefix.format("sqs") + physical, "url": url}
        case "aws:lambda/function:Function":
            arn = prefix.format("lambda") + f"function:{physical}"
            return {"arn": arn, "qualifiedArn": f"{arn}:$LATEST", "invokeArn": arn}
        case "aws:iam/role:Role":
            return {"arn": f"arn:aws:iam::{ACCOUNT}:role/{physical}"}
        case "aws:kms/key:Key":
            key_id = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
            return {"keyId": key_id, "arn": prefix.format("kms") + f"key/{key_id}"}
        case "aws:cloudwatch/logGroup:LogGroup":
            return {"arn": prefix.format("logs") + f"log-group:{physical}"}
        case "aws:sfn/stateMachine:StateMachine":
            return {"arn": prefix.format("states") + f"stateMachine:{physical}"}
        case "aws:secretsmanager/secret:Secret":
            return {"arn": prefix.format("secretsmanager") + f"secret:{physical}-AbCdEf"}
        case "aws:sns/topic:Topic":
            return {"arn": prefix.format("sns") + physical}
        case "aws:cloudtrail/trail:Trail":
            return {"arn": prefix.format("cloudtrail") + f"trail/{physical}"}
        case "aws:dynamodb/table:Table":
            return {"arn": prefix.format("dynamodb") + f"table/{physical}"}
        case "aws:lambda/invocation:Invocation":
            return {"result": "{}"}
    service = typ.split(":")[1].split("/")[0]
    return {"arn": prefix.format(service) + physical}


def _mask(value: Any, secrets: Sequence[str]) -> Any:
    if isinstance(value, pulumi.FileArchive | pulumi.FileAsset):
        path = Path(value.path).resolve()
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        return {type(value).__name__: str(shown)}
    if isinstance(value, str):
        return MASK if any(secret in value for secret in secrets) else value
    if isinstance(value, Mapping):
        return {k: _mask(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask(v, secrets) for v in value]
    return value


def stack_config(stack: str, root: Path = ROOT) -> dict[str, str]:
    """A stack file's config as the engine hands it over: every value a string."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise SystemExit(
            f"{path.name} not found: the committed stacks are " + ", ".join(stacks(root))
        )
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values = (document.get("config") or {}).items()
    # `secure:` values need the stack's passphrase; offline they count as not set.
    return {
        k: v if isinstance(v, str) else json.dumps(v)
        for k, v in values
        if not (isinstance(v, dict) and set(v) == {"secure"})
    }


def stacks(root: Path = ROOT) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def _leaves(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            yield value
            return
        if isinstance(parsed, str):
            yield parsed
        else:
            yield from _leaves(parsed)
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)


def run(stack: str, config: Mapping[str, str], secret_keys: Sequence[str] = ()) -> Synth:
    """Run infra/__main__.py as `pulumi up` would, with `config`; every resource it declares."""
    return declare(
        lambda: runpy.run_path(str(ROOT / "infra"), run_name="__main__"),
        stack,
        config,
        secret_keys,
    )


def declare(
    program: Callable[[], object],
    stack: str,
    config: Mapping[str, str] | None = None,
    secret_keys: Sequence[str] = (),
) -> Synth:
    """Every resource `program` declares under the mocks: the whole program (`run`), or a
    component built from args alone (its tests need no stack file)."""
    config = config or {}
    region = config.get("aws:region", "us-east-1")
    synth = Synth(stack, region)
    secrets = [leaf for key in secret_keys for leaf in _leaves(config.get(key, ""))]
    pulumi.runtime.set_all_config(dict(config), list(secret_keys))
    recorder = _Recorder(synth, secrets)
    pulumi.runtime.set_mocks(
        recorder,
        project=PROJECT,
        stack=stack,
        preview=False,
        monitor=_Monitor(recorder, synth),
    )
    loop = asyncio.get_event_loop()
    program()
    loop.run_until_complete(wait_for_rpcs())
    return synth


def write(synth: Synth, out: Path) -> None:
    machines = out / "state-machines"
    machines.mkdir(parents=True, exist_ok=True)
    # The engine registers resources concurrently; sorted, the file diffs cleanly between runs.
    ordered = sorted(synth.resources, key=lambda r: (r["type"], r["name"]))
    (out / "resources.json").write_text(json.dumps(ordered, indent=2, sort_keys=True) + "\n")
    for machine, definition in synth.state_machines().items():
        (machines / f"{machine}.asl.json").write_text(json.dumps(definition, indent=2) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="what `pulumi up` would create, offline")
    parser.add_argument("stack", help="a committed stack: " + ", ".join(stacks()))
    args = parser.parse_args(argv)
    try:
        synth = run(args.stack, stack_config(args.stack))
    except pulumi.RunError as exc:
        print(f"synth {args.stack}: {exc}", file=sys.stderr)
        return 2
    out = ROOT / "build" / "synth" / args.stack
    write(synth, out)
    counts: dict[str, int] = {}
    for resource in synth.resources:
        counts[resource["type"]] = counts.get(resource["type"], 0) + 1
    where = out.relative_to(ROOT)
    print(f"{args.stack}: {len(synth.resources)} resources of {len(counts)} types → {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
