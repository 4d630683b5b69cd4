"""Parallel search: the chief that serves an oracle to workers, and `launch`, which starts
a chief and its workers on one host."""

from keras_nas.distribute.chief import ORACLE_IP, ORACLE_PORT, TUNER_ID, role, serve
from keras_nas.distribute.heartbeat import HEARTBEAT_SECONDS, Heartbeat
from keras_nas.distribute.launch import launch

__all__ = [
    "HEARTBEAT_SECONDS",
    "ORACLE_IP",
    "ORACLE_PORT",
    "TUNER_ID",
    "Heartbeat",
    "launch",
    "role",
    "serve",
]
