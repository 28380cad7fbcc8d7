"""The catalog's rules as Pulumi policies: a resource policy per rule, checking inputs before
anything is created, and a stack policy per cross-resource rule."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    Policy,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.catalog import RULES, STACK_RULES, Rule, StackRule
from policy.stack_rules import Resource, Stack

NAME = "spapi-lake"
# A violation fails `pulumi preview` and stops `pulumi up`: the checklist is not advice.
ENFORCEMENT = EnforcementLevel.MANDATORY


def stack(args: StackValidationArgs) -> Stack:
    """The engine's view of the stack, as the stack rules read it."""
    return Stack(
        Resource(
            urn=resource.urn,
            type=resource.resource_type,
            name=resource.name,
            props=resource.props,
            deps={
                prop: [dependency.urn for dependency in dependencies]
                for prop, dependencies in resource.property_dependencies.items()
            },
            protect=resource.opts.protect,
        )
        for resource in args.resources
    )


def _resource_policy(rule: Rule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        if rule.applies(args.resource_type):
            for problem in rule.check(args.props):
                report_violation(problem, None)

    return ResourceValidationPolicy(rule.name, rule.description, validate)


def _stack_policy(rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report_violation: ReportViolation) -> None:
        for violation in rule.check(stack(args)):
            report_violation(violation.message, violation.urn or None)

    return StackValidationPolicy(rule.name, rule.description, validate)


def policies() -> list[Policy]:
    """Every policy of the pack; each takes the pack's enforcement level (mandatory)."""
    return [
        *(_resource_policy(rule) for rule in RULES),
        *(_stack_policy(rule) for rule in STACK_RULES),
    ]
