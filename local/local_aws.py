"""moto in server mode on a loopback port: the proxy reads its secret and keeps its replay window the Lambda way."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

import boto3
from moto.server import ThreadedMotoServer

from local.environment import REGION


class LocalAws:
    """One moto server for Secrets Manager (the client credentials) and DynamoDB (the replay table)."""

    def __init__(self, port: int = 0) -> None:
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
        self.endpoint = ""

    def start(self) -> str:
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        return self.endpoint

    def client(self, service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 (moto accepts any credentials)
        )

    def put_credentials(self, secret_id: str, client_id: str, client_secret: str) -> None:
        client = self.client("secretsmanager")
        value = json.dumps({"client_id": client_id, "client_secret": client_secret})
        try:
            client.create_secret(Name=secret_id, SecretString=value)
        except client.exceptions.ResourceExistsException:
            client.put_secret_value(SecretId=secret_id, SecretString=value)

    def create_table(self, name: str, layout: Mapping[str, Any]) -> None:
        """A DynamoDB table with `layout` (local.template.replay_table_layout: keys, billing, TTL)."""
        client = self.client("dynamodb")
        client.create_table(
            TableName=name,
            AttributeDefinitions=layout["AttributeDefinitions"],
            KeySchema=layout["KeySchema"],
            BillingMode=layout["BillingMode"],
        )
        client.update_time_to_live(TableName=name, TimeToLiveSpecification=layout["TimeToLiveSpecification"])

    def stop(self) -> None:
        self._server.stop()
        server = getattr(self._server, "_server", None)  # ThreadedMotoServer.stop leaves its socket open
        if server is not None:
            server.server_close()
