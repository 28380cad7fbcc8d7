"""Runs `subscribe` on deploy, so the destination and the subscriptions exist after `pulumi up`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SubscriptionArgs:
    function_name: pulumi.Input[str]
    seller_ids: Sequence[str]
    code_sha256: str
    ready: Sequence[pulumi.Resource]  # what subscribe needs first: its policy, secret values


class Subscription(pulumi.ComponentResource):
    """Invokes again whenever the sellers or the code change; `subscribe` is idempotent."""

    def __init__(
        self, name: str, args: SubscriptionArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:notifications:Subscription", name, None, opts)
        sellers = json.dumps(sorted(args.seller_ids))
        self.invocation = aws.lambda_.Invocation(
            f"{name}-subscribe",
            function_name=args.function_name,
            input=json.dumps({"sellerIds": sorted(args.seller_ids)}),
            triggers={
                "sellers": hashlib.sha256(sellers.encode()).hexdigest(),
                "code": args.code_sha256,
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.ready)),
        )
        self.register_outputs({"result": self.invocation.result})
