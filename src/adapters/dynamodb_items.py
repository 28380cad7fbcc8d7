"""A conditional UpdateItem on a table keyed by `bucket`, its errors translated at the boundary:
the shared rate limits and the Data Kiosk creation leases both live in such a table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from adapters.aws_errors import aws_error, error_code

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def update_if(
    db: DynamoDBClient,
    table: str,
    bucket: str,
    update: str,
    condition: str,
    values: dict[str, Any],
    **extra: Any,
) -> dict[str, Any] | None:
    """The item as the update left it, or None when `condition` did not hold (another caller
    got there first). Other failures raise the domain's AWS errors."""
    try:
        answer = db.update_item(
            TableName=table,
            Key={"bucket": {"S": bucket}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
            **extra,
        )
    except ClientError as error:
        if error_code(error) == "ConditionalCheckFailedException":
            return None
        raise aws_error(error, f"DynamoDB UpdateItem {table}") from error
    except BotoCoreError as error:
        raise aws_error(error, f"DynamoDB UpdateItem {table}") from error
    return dict(answer.get("Attributes") or {})
