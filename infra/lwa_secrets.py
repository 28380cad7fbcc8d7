"""LWA credentials in Secrets Manager: the app client id and secret, a refresh token per seller."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from infra.iam import document


@dataclass(frozen=True)
class SecretsArgs:
    prefix: str  # secret names start with it: `<prefix>/app`, `<prefix>/seller/<sellerId>`
    kms_key_arn: pulumi.Input[str]
    seller_ids: Sequence[str]
    # Secret JSON from `pulumi config set --secret`; absent leaves a secret empty, to fill later.
    app_credentials: pulumi.Output[str] | None = None
    refresh_tokens: Mapping[str, pulumi.Output[str]] = field(default_factory=dict)


class Secrets(pulumi.ComponentResource):
    """Encrypted with the stack key; `restrict_to` limits reads to the roles that need them."""

    def __init__(
        self, name: str, args: SecretsArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("spapi-lake:security:Secrets", name, None, opts)
        self._name = name
        self._opts = pulumi.ResourceOptions(parent=self)
        self.values: list[aws.secretsmanager.SecretVersion] = []
        self.app_secret_id = f"{args.prefix}/app"
        self.seller_secret_prefix = f"{args.prefix}/seller/"
        self.app = self._secret(f"{name}-app", self.app_secret_id, args, "LWA client id and secret")
        if args.app_credentials is not None:
            self._value(f"{name}-app", self.app, args.app_credentials)
        self.sellers: dict[str, aws.secretsmanager.Secret] = {}
        for seller_id in args.seller_ids:
            secret = self._secret(
                f"{name}-seller-{seller_id}",
                f"{self.seller_secret_prefix}{seller_id}",
                args,
                f"LWA refresh token of seller {seller_id}",
            )
            self.sellers[seller_id] = secret
            if seller_id in args.refresh_tokens:
                self._value(f"{name}-seller-{seller_id}", secret, args.refresh_tokens[seller_id])
        self.arns: list[pulumi.Output[str]] = [
            self.app.arn,
            *(s.arn for s in self.sellers.values()),
        ]
        self.register_outputs({"appSecretId": self.app_secret_id})

    def _secret(
        self, name: str, secret_name: str, args: SecretsArgs, description: str
    ) -> aws.secretsmanager.Secret:
        return aws.secretsmanager.Secret(
            name,
            name=secret_name,
            description=f"spapi-lake: {description}",
            kms_key_id=args.kms_key_arn,
            recovery_window_in_days=30,
            opts=self._opts,
        )

    def _value(
        self, name: str, secret: aws.secretsmanager.Secret, value: pulumi.Input[str]
    ) -> None:
        version = aws.secretsmanager.SecretVersion(
            f"{name}-value",
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(value),
            opts=self._opts,
        )
        self.values.append(version)

    def restrict_to(self, readers: Sequence[pulumi.Input[str]]) -> None:
        """Resource policies that grant reads to `readers` (role ARNs) alone. No Deny for
        everyone else: the Pulumi provider reads back each secret version it writes."""
        named = [("app", self.app), *((f"seller-{s}", v) for s, v in self.sellers.items())]
        for label, secret in named:
            aws.secretsmanager.SecretPolicy(
                f"{self._name}-{label}-policy",
                secret_arn=secret.arn,
                policy=document(
                    {
                        "Sid": "TheLwaFunctionsReadIt",
                        "Effect": "Allow",
                        "Principal": {"AWS": list(readers)},
                        "Action": "secretsmanager:GetSecretValue",
                        "Resource": "*",
                    },
                ),
                opts=self._opts,
            )
