#!/usr/bin/python3
"""Checks what `docker-compose config` does not: the Dockerfile every service builds (and its SERVICE argument), GPU
reservations, profiles, and the environment that discovery and logging need.

    docker-compose -f docker-compose.yml config | /usr/bin/python3 infra/compose_check.py REPO_ROOT

Reads the resolved compose configuration on stdin. Needs PyYAML (Debian: python3-yaml).
"""
import re
import sys
from pathlib import Path

import yaml

GPU = {"encoder", "denoiser", "vae", "trainer"}
SERVING = {"encoder", "denoiser", "vae", "gateway"}
PROFILES = {"dataprep": "dataprep", "trainer": "trainer"}
PROJECT = {"encoder": "Encoder", "denoiser": "Denoiser", "vae": "Vae", "gateway": "Gateway",
           "dataprep": "DataPrep", "trainer": "Trainer"}


def check_dockerfile(path, errors):
    """The one Dockerfile every service builds: the project comes from the SERVICE build argument."""
    text = path.read_text()
    stages = re.findall(r"^FROM\s+(\S+)(?:\s+AS\s+([\w-]+))?", text, re.M | re.I)
    named = {alias: base for base, alias in stages if alias}
    final = named.get(stages[-1][0].replace("${TORCH_BACKEND}", "cuda"), stages[-1][0]) if stages else ""
    if len(stages) < 2 or not stages[0][0].startswith("mcr.microsoft.com/dotnet/sdk:") \
            or not final.startswith("mcr.microsoft.com/dotnet/aspnet:"):
        errors.append(f"{path}: expected an sdk build stage and an aspnet runtime stage, got {stages}")
    if stages and "${TORCH_BACKEND}" in stages[-1][0]:
        # The backend picks the runtime stage: each must exist and set the models' device and dtype defaults.
        for backend, dtype in (("cpu", "float32"), ("cuda", "bfloat16")):
            stage = re.search(rf"AS runtime-{backend}\n(.*?)(?=^FROM )", text, re.M | re.S)
            if not stage or f"Model__Device={backend}" not in stage.group(1) or f"Model__Dtype={dtype}" not in stage.group(1):
                errors.append(f"{path}: stage runtime-{backend} must set Model__Device={backend} and Model__Dtype={dtype}")
    if not re.search(r"^ARG TORCH_BACKEND=cpu$", text, re.M) or "-p:TorchBackend=${TORCH_BACKEND}" not in text:
        errors.append(f"{path}: needs ARG TORCH_BACKEND=cpu passed to the build as -p:TorchBackend")
    if "hosts/UnimoG.${SERVICE}/UnimoG.${SERVICE}.csproj" not in text:
        errors.append(f"{path}: does not publish hosts/UnimoG.${{SERVICE}}/UnimoG.${{SERVICE}}.csproj")
    runtime = text.split(stages[-1][0])[-1] if stages else ""
    if not re.search(r"^ARG SERVICE$", runtime, re.M) or not re.search(r"UNIMOG_SERVICE=\$\{SERVICE\}", runtime):
        errors.append(f"{path}: the runtime stage must keep SERVICE as UNIMOG_SERVICE")
    if not re.search(r'^ENTRYPOINT \["bash", "-c", "exec dotnet \\"UnimoG\.\$\{UNIMOG_SERVICE\}\.dll\\" \\"\$@\\"", "\w+"\]$',
                     runtime, re.M):
        errors.append(f"{path}: ENTRYPOINT must exec UnimoG.${{UNIMOG_SERVICE}}.dll")
    users = re.findall(r"^USER\s+(\S+)", runtime, re.M)
    if not users or users[-1] in ("root", "0"):
        errors.append(f"{path}: the runtime stage must switch to a non-root USER")
    if "HEALTHCHECK" not in text:
        errors.append(f"{path}: no HEALTHCHECK")


def main(root):
    root = Path(root)
    config = yaml.safe_load(sys.stdin)
    services = config.get("services", {})
    errors = []
    expected = root / "hosts" / "Dockerfile"
    if expected.is_file():
        check_dockerfile(expected, errors)
    else:
        errors.append(f"{expected} does not exist")
    for name in ["consul", "seq", *PROJECT]:
        if name not in services:
            errors.append(f"docker-compose.yml: no service {name}")
    for name, project in PROJECT.items():
        svc = services.get(name, {})
        build = svc.get("build", {})
        dockerfile = Path(build.get("context", ".")) / build.get("dockerfile", "Dockerfile")
        if dockerfile.resolve() != expected.resolve():
            errors.append(f"{name}: builds {dockerfile}, expected {expected}")
        service = (build.get("args") or {}).get("SERVICE")
        if service != project:
            errors.append(f"{name}: build argument SERVICE is {service}, expected {project}")
        elif not (root / "hosts" / f"UnimoG.{project}" / f"UnimoG.{project}.csproj").is_file():
            errors.append(f"{name}: hosts/UnimoG.{project}/UnimoG.{project}.csproj does not exist")
        devices = svc.get("deploy", {}).get("resources", {}).get("reservations", {}).get("devices", [])
        has_gpu = any(d.get("driver") == "nvidia" and "gpu" in d.get("capabilities", []) for d in devices)
        if has_gpu != (name in GPU):
            errors.append(f"{name}: GPU reservation is {has_gpu}, expected {name in GPU}")
        profiles = set(svc.get("profiles", []))
        if name in PROFILES and profiles != {PROFILES[name]}:
            errors.append(f"{name}: profiles {sorted(profiles)}, expected [{PROFILES[name]}]")
        if name in SERVING and profiles:
            errors.append(f"{name}: a serving service must not be behind a profile")
        env = svc.get("environment", {})
        for key in ("Consul__Address", "Seq__ServerUrl"):
            if not env.get(key):
                errors.append(f"{name}: environment has no {key}")
        if name == "dataprep":
            # The service refuses to start without a mask mode, and runs the batch job only with Input and Output.
            for key in ("DataPrep__Input", "DataPrep__Output", "DataPrep__Masks"):
                if not env.get(key):
                    errors.append(f"{name}: environment has no {key}")
    for e in errors:
        print(f"compose_check: {e}", file=sys.stderr)
    print(f"compose_check: {len(services)} services, {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
