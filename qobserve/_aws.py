"""A Braket ``AwsSession`` from explicit credentials (profile, keys, assumed role, region).

The role is assumed lazily and refreshed before expiry by botocore
(``DeferredRefreshableCredentials``), so building the session makes no call:
the first STS request happens inside a probe, under its timeout.
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["aws_session", "boto_session"]

_ROLE_SESSION = "qobserve"


def boto_session(creds: Mapping[str, str]):
    """A ``boto3.Session`` from ``aws_*`` keys; keys not given fall back to boto3's defaults."""
    import boto3

    base = boto3.Session(
        profile_name=creds.get("aws_profile"),
        aws_access_key_id=creds.get("aws_access_key_id"),
        aws_secret_access_key=creds.get("aws_secret_access_key"),
        aws_session_token=creds.get("aws_session_token"),
        region_name=creds.get("aws_region"),
    )
    role = creds.get("aws_role_arn")
    if not role:
        return base
    from botocore.credentials import DeferredRefreshableCredentials
    from botocore.session import get_session

    def refresh() -> dict:
        c = base.client("sts").assume_role(RoleArn=role, RoleSessionName=_ROLE_SESSION)[
            "Credentials"
        ]
        return {
            "access_key": c["AccessKeyId"],
            "secret_key": c["SecretAccessKey"],
            "token": c["SessionToken"],
            "expiry_time": c["Expiration"].isoformat(),
        }

    core = get_session()
    core._credentials = DeferredRefreshableCredentials(
        refresh, "assume-role"
    )  # botocore's own recipe
    return boto3.Session(botocore_session=core, region_name=base.region_name)


def aws_session(creds: Mapping[str, str]):
    """A ``braket.aws.AwsSession`` over :func:`boto_session`."""
    from braket.aws import AwsSession

    return AwsSession(boto_session=boto_session(creds))
