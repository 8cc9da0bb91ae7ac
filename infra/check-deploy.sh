#!/usr/bin/env bash
# Validates the deployment files without Docker, Kubernetes or helm (none runs on the build machine):
#   1. docker-compose.yml: `docker-compose config` (Debian's docker-compose 1.29) resolves and validates it,
#      then infra/compose_check.py checks the one Dockerfile every service builds (hosts/Dockerfile), GPU
#      reservations, profiles, environment.
#   2. yamllint (infra/yamllint.yaml) on docker-compose.yml and the chart's Chart.yaml and values.yaml.
#   3. infra/chart_check.py renders every chart template with values.yaml (and with the jobs, including the MPI
#      Operator's MPIJob of data-parallel training, enabled and autoscaling off) and checks the resulting Kubernetes
#      objects against each other.
#   4. bash -n on the shell scripts.
# Needs: docker-compose, yamllint, /usr/bin/python3 with PyYAML (Debian: docker-compose yamllint python3-yaml).
# Exit code 0 when everything passes, 1 when a check fails, 2 when a tool is missing.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
python=/usr/bin/python3

missing=()
command -v docker-compose >/dev/null || missing+=("docker-compose (apt-get install docker-compose)")
command -v yamllint >/dev/null || missing+=("yamllint (apt-get install yamllint)")
{ [[ -x $python ]] && $python -c 'import yaml' 2>/dev/null; } || missing+=("$python with PyYAML (apt-get install python3-yaml)")
if ((${#missing[@]})); then
  printf 'check-deploy: missing %s\n' "${missing[@]}" >&2
  exit 2
fi

failed=0
step() {
  local name=$1
  shift
  if "$@"; then
    echo "check-deploy: ok   $name"
  else
    echo "check-deploy: FAIL $name" >&2
    failed=1
  fi
}

compose() {
  # Variables the file reads from the environment stay unset here, as on a fresh checkout.
  local resolved
  resolved="$(env -u TORCH_BACKEND -u UNIMOG_TAG docker-compose -f docker-compose.yml config)" || return 1
  docker-compose -f docker-compose.yml --profile dataprep --profile trainer config -q || return 1
  $python infra/compose_check.py "$root" <<<"$resolved"
}

step "docker-compose config + Dockerfile" compose
step "yamllint" yamllint -c infra/yamllint.yaml docker-compose.yml helm/unimog/Chart.yaml helm/unimog/values.yaml infra/yamllint.yaml
step "chart renders (values.yaml)" $python infra/chart_check.py helm/unimog
step "chart renders (jobs on, autoscaling off, cpu metric)" $python infra/chart_check.py helm/unimog \
  --set jobs.dataprep.enabled=true --set jobs.trainer.enabled=true --set jobs.trainerMpi.enabled=true \
  --set services.gateway.autoscaling.enabled=false --set services.encoder.autoscaling.metric=cpu
step "shell syntax" bash -n infra/certs/make-dev-certs.sh infra/check-deploy.sh

if ((failed)); then
  echo "check-deploy: some checks failed" >&2
  exit 1
fi
echo "check-deploy: all checks passed"
