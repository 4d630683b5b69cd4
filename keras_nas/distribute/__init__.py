"""Parallel search: the chief that serves an oracle to workers, and `launch`, which starts
a chief and its workers on one host."""

from keras_nas.distribute.chief import ORACLE_IP, ORACLE_PORT, TUNER_ID, role, serve
from keras_nas.distribute.launch import launch

__all__ = ["ORACLE_IP", "ORACLE_PORT", "TUNER_ID", "launch", "role", "serve"]
