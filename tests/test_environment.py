"""The machine a latency figure was measured on (:mod:`stdc_tf.profiling.environment`).

Parsed from the real ``/proc/cpuinfo`` of the test machine and from fixture texts of an AVX2-only
x86 machine, a VNNI/AMX one and an Arm one with dot-product and i8mm.
"""
from __future__ import annotations

import os
import platform

import pytest

from stdc_tf.profiling import environment

AVX2_ONLY = """processor\t: 0
vendor_id\t: AuthenticAMD
model name\t: AMD EPYC 7B12
flags\t\t: fpu vme sse sse2 ssse3 fma cx16 sse4_1 sse4_2 avx f16c avx2 bmi2

processor\t: 1
model name\t: AMD EPYC 7B12
flags\t\t: fpu avx512f avx512_vnni
"""
SAPPHIRE_RAPIDS = """processor\t: 0
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fma avx2 f16c avx512f avx512bw avx512_vnni avx_vnni avx512_bf16 avx512_fp16 amx_bf16 amx_tile amx_int8
"""
ARM = """processor\t: 0
BogoMIPS\t: 50.00
Features\t: fp asimd evtstrm aes crc32 fphp asimdhp cpuid asimddp i8mm bf16
CPU implementer\t: 0x41
CPU part\t: 0xd0c
"""


def test_avx2_only_machine_has_no_vnni_and_only_the_first_block_counts():
    info = environment.parse_cpuinfo(AVX2_ONLY)
    assert info == {"model": "AMD EPYC 7B12", "isa": "x86", "features": ["avx2", "fma", "f16c"],
                    "int8": "AVX2"}


def test_vnni_and_amx_machine():
    info = environment.parse_cpuinfo(SAPPHIRE_RAPIDS)
    assert info["int8"] == "AMX-INT8"
    assert {"avx512_vnni", "avx_vnni", "avx512_fp16", "amx_int8", "amx_tile"} <= set(info["features"])


def test_arm_features_and_model_from_part_number():
    info = environment.parse_cpuinfo(ARM)
    assert info["isa"] == "arm" and info["int8"] == "I8MM"
    assert info["features"] == ["asimd", "asimddp", "i8mm", "fphp", "asimdhp", "bf16"]
    assert "0xd0c" in info["model"]


def test_no_cpuinfo_falls_back_to_platform():
    info = environment.cpu_info(text="")
    assert info["model"] and info["features"] == []
    assert info["isa"] in ("x86", "arm", platform.machine().lower())


@pytest.mark.skipif(not os.path.exists("/proc/cpuinfo"), reason="no /proc/cpuinfo on this OS")
def test_this_machine_is_described_from_its_real_cpuinfo():
    text = open("/proc/cpuinfo").read()
    device = environment.cpu_device()
    assert device["kind"] == "cpu" and device["name"].endswith(f"({os.cpu_count()} cores)")
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines()
                  if line.lower().startswith(("flags", "features"))), [])
    assert device["isa_features"] and set(device["isa_features"]) <= set(flags) | {"asimddp", "asimdhp"}
    if "avx512_vnni" in flags:
        assert device["int8_path"] in ("AVX512-VNNI", "AMX-INT8")
    assert environment.isa_line().startswith(device["name"].rsplit(" (", 1)[0])


def test_library_versions_name_the_runtimes():
    versions = environment.library_versions()
    assert versions["python"] == platform.python_version()
    assert "onnxruntime" in versions and "ai-edge-litert" in versions
