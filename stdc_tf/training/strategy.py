"""Choosing the tf.distribute strategy: one device, mirrored GPUs/CPUs, multi-worker, TPU."""
from __future__ import annotations

import json
import os

import tensorflow as tf

from stdc_tf.training.config import STRATEGIES


def split_cpu(replicas: int) -> None:
    """Expose ``replicas`` logical CPU devices (must run before TensorFlow initialises)."""
    if replicas > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * replicas)


def make_strategy(name: str = "auto", cpu_replicas: int = 1) -> tf.distribute.Strategy:
    """``auto``: multi-worker when ``TF_CONFIG`` names a cluster, mirrored over several GPUs
    (or several logical CPUs), else one device."""
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}; valid: {', '.join(STRATEGIES)}")
    if name == "auto":
        cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
        gpus = tf.config.list_logical_devices("GPU")
        if sum(len(v) for v in cluster.values()) > 1:
            name = "multi_worker"
        elif len(gpus) > 1 or cpu_replicas > 1:
            name = "mirrored"
        else:
            name = "one_device"
    if name == "multi_worker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    if name == "tpu":
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
        return tf.distribute.TPUStrategy(resolver)
    gpus = tf.config.list_logical_devices("GPU")
    if name == "mirrored":
        devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices)
    return tf.distribute.OneDeviceStrategy(gpus[0].name if gpus else "/cpu:0")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    return resolver.task_type == "chief" or (resolver.task_type == "worker" and resolver.task_id == 0
                                              and "chief" not in resolver.cluster_spec().as_dict())


def task_id(strategy: tf.distribute.Strategy) -> int:
    resolver = getattr(strategy, "cluster_resolver", None)
    return int(resolver.task_id) if resolver is not None and resolver.task_id is not None else 0
