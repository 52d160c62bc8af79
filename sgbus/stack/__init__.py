"""The local stack: Apache Kafka (KRaft, one node) and Apicurio Registry, run from Maven jars.

``sgbus stack up|down|status`` and the test fixture both drive :class:`LocalStack`.
"""

from sgbus.stack.config import StackConfig
from sgbus.stack.errors import PortBusyError, ProvisionError, StackError, StartError
from sgbus.stack.local import ComponentStatus, LocalStack, StackInfo
from sgbus.stack.versions import kafka_version, registry_version

__all__ = [
    "ComponentStatus",
    "LocalStack",
    "PortBusyError",
    "ProvisionError",
    "StackConfig",
    "StackError",
    "StackInfo",
    "StartError",
    "kafka_version",
    "registry_version",
]
