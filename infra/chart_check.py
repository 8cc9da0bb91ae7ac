#!/usr/bin/python3
"""Checks the Helm chart without helm: renders every template with a small Go-template interpreter,
parses the output as YAML and checks the Kubernetes objects against each other.

    /usr/bin/python3 infra/chart_check.py helm/unimog [--set key.path=value ...]

The interpreter knows the subset of Go templates and Sprig the chart uses (if/else/range/with/define,
variables, pipelines, include, toYaml, nindent, indent, quote, default, dict, eq/ne/gt/lt, and/or/not,
int, mul, printf, fail, required, sha256sum) and fails on anything else, so a template change that steps
outside it is noticed rather than skipped. Stricter than helm: a .Values path that does not exist in
values.yaml is an error wherever it is printed or computed with (helm would print nothing); only
if/with/default/not/and/or may test a missing value. Needs PyYAML (Debian: python3-yaml).
"""
import copy
import hashlib
import json
import re
import sys
from pathlib import Path

import yaml


class ChartError(Exception):
    pass


class Missing:
    """A path absent from the values: falsy in conditions, an error anywhere else."""

    def __init__(self, path):
        self.path = path

    def __bool__(self):
        return False


# ---------------------------------------------------------------- parsing

ACTION = re.compile(r"\{\{(-\s)?(.*?)(\s-)?\}\}", re.S)
TOKEN = re.compile(r'\s*(?:("(?:[^"\\]|\\.)*")|(`[^`]*`)|(-?\d+)|(:=|\||\(|\)|,)|'
                   r'(\$(?:\.[A-Za-z_]\w*)+|\$?[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*|\$|(?:\.[A-Za-z_]\w*)+|\.))')


def tokenize(expr, where):
    tokens, pos = [], 0
    while pos < len(expr):
        if expr[pos:].strip() == "":
            break
        m = TOKEN.match(expr, pos)
        if not m or m.end() == pos:
            raise ChartError(f"{where}: cannot parse '{expr[pos:]}'")
        s, raw, num, punct, name = m.groups()
        if s is not None:
            tokens.append(("str", json.loads(s)))
        elif raw is not None:
            tokens.append(("str", raw[1:-1]))
        elif num is not None:
            tokens.append(("num", int(num)))
        elif punct is not None:
            tokens.append(("p", punct))
        else:
            tokens.append(("name", name))
        pos = m.end()
    return tokens


def parse_template(text, file):
    """Returns a list of nodes: ('text', s) or ('act', kind, expr, line)."""
    nodes, pos = [], 0
    for m in ACTION.finditer(text):
        lead = text[pos:m.start()]
        if m.group(1):
            lead = lead.rstrip()
        nodes.append(["text", lead])
        line = text.count("\n", 0, m.start()) + 1
        body = m.group(2).strip()
        nodes.append(["act", body, f"{file}:{line}", bool(m.group(3))])
        pos = m.end()
    nodes.append(["text", text[pos:]])
    # Apply right-trim markers to the following text.
    for i, n in enumerate(nodes):
        if n[0] == "act" and n[3] and i + 1 < len(nodes):
            nodes[i + 1][1] = nodes[i + 1][1].lstrip()
    if text.count("{{") != len([n for n in nodes if n[0] == "act"]):
        raise ChartError(f"{file}: unbalanced '{{{{' / '}}}}'")
    return build_tree(nodes, file)


def build_tree(flat, file):
    root = []
    stack = [("root", root, None)]
    for n in flat:
        if n[0] == "text":
            if n[1]:
                stack[-1][1].append(("text", n[1]))
            continue
        body, where = n[1], n[2]
        if body.startswith("/*"):
            if not body.endswith("*/"):
                raise ChartError(f"{where}: unterminated comment")
            continue
        word = body.split(None, 1)[0] if body else ""
        rest = body[len(word):].strip()
        if word in ("if", "range", "with", "define"):
            node = {"kind": word, "expr": rest, "where": where, "branches": [], "else": None}
            body_list = []
            node["branches"].append((rest, body_list))
            stack[-1][1].append(("block", node))
            stack.append((word, body_list, node))
        elif word == "else":
            kind, _, node = stack.pop()
            if node is None:
                raise ChartError(f"{where}: else outside a block")
            body_list = []
            if rest.startswith("if "):
                if kind != "if":
                    raise ChartError(f"{where}: 'else if' in a {kind} block")
                node["branches"].append((rest[3:].strip(), body_list))
            else:
                node["else"] = body_list
            stack.append((kind, body_list, node))
        elif word == "end":
            if len(stack) == 1:
                raise ChartError(f"{where}: 'end' without a block")
            stack.pop()
        elif word in ("template", "block", "break", "continue", "tpl"):
            raise ChartError(f"{where}: '{word}' is outside the subset this checker interprets")
        else:
            stack[-1][1].append(("act", body, where))
    if len(stack) != 1:
        raise ChartError(f"{file}: '{stack[-1][0]}' block opened at {stack[-1][2]['where']} is never closed")
    return root


# ---------------------------------------------------------------- evaluation

class Renderer:
    def __init__(self, files, root):
        self.root = root
        self.defines = {}
        self.trees = {}
        for name, text in files.items():
            tree = parse_template(text, name)
            self.collect_defines(tree)
            self.trees[name] = tree

    def collect_defines(self, tree):
        for node in tree:
            if node[0] == "block" and node[1]["kind"] == "define":
                name = tokenize(node[1]["expr"], node[1]["where"])[0][1]
                self.defines[name] = node[1]["branches"][0][1]

    def render(self, name):
        return self.exec(self.trees[name], self.root, [{"$": self.root}])

    def exec(self, tree, dot, scopes):
        out = []
        for node in tree:
            if node[0] == "text":
                out.append(node[1])
            elif node[0] == "act":
                out.append(self.action(node[1], node[2], dot, scopes))
            else:
                out.append(self.block(node[1], dot, scopes))
        return "".join(out)

    def action(self, body, where, dot, scopes):
        tokens = tokenize(body, where)
        if len(tokens) >= 2 and tokens[1] == ("p", ":="):
            scopes[-1][tokens[0][1]] = self.pipeline(tokens[2:], where, dot, scopes)
            return ""
        return self.show(self.pipeline(tokens, where, dot, scopes), where)

    def block(self, node, dot, scopes):
        kind, where = node["kind"], node["where"]
        if kind == "define":
            return ""
        if kind == "if":
            for expr, body in node["branches"]:
                if truthy(self.pipeline(tokenize(expr, where), where, dot, scopes)):
                    return self.exec(body, dot, scopes + [{}])
            return self.exec(node["else"] or [], dot, scopes + [{}])
        if kind == "with":
            value = self.pipeline(tokenize(node["expr"], where), where, dot, scopes)
            if truthy(value):
                return self.exec(node["branches"][0][1], value, scopes + [{}])
            return self.exec(node["else"] or [], dot, scopes + [{}])
        # range [$k, $v :=] pipeline
        tokens = tokenize(node["expr"], where)
        names = []
        if ("p", ":=") in tokens:
            i = tokens.index(("p", ":="))
            names = [t[1] for t in tokens[:i] if t[0] == "name"]
            tokens = tokens[i + 1:]
        value = self.pipeline(tokens, where, dot, scopes)
        if isinstance(value, Missing):
            raise ChartError(f"{where}: range over {value.path}, which values.yaml does not have")
        items = sorted(value.items()) if isinstance(value, dict) else list(enumerate(value or []))
        if not items:
            return self.exec(node["else"] or [], dot, scopes + [{}])
        out = []
        for key, item in items:
            scope = {}
            if len(names) == 2:
                scope[names[0]], scope[names[1]] = key, item
            elif len(names) == 1:
                scope[names[0]] = item
            out.append(self.exec(node["branches"][0][1], item, scopes + [scope]))
        return "".join(out)

    def pipeline(self, tokens, where, dot, scopes):
        commands, depth, current = [], 0, []
        for t in tokens:
            if t == ("p", "(") or t == ("p", ")"):
                depth += 1 if t[1] == "(" else -1
            if t == ("p", "|") and depth == 0:
                commands.append(current)
                current = []
            else:
                current.append(t)
        commands.append(current)
        value, piped = None, False
        for cmd in commands:
            value = self.command(cmd, where, dot, scopes, [value] if piped else [])
            piped = True
        return value

    def command(self, tokens, where, dot, scopes, extra):
        if not tokens:
            raise ChartError(f"{where}: empty command")
        args, i = [], 1
        while i < len(tokens):
            if tokens[i] == ("p", "("):
                depth, j = 1, i + 1
                while depth:
                    if j >= len(tokens):
                        raise ChartError(f"{where}: unbalanced parentheses")
                    depth += {("p", "("): 1, ("p", ")"): -1}.get(tokens[j], 0)
                    j += 1
                args.append(self.pipeline(tokens[i + 1:j - 1], where, dot, scopes))
                i = j
            else:
                args.append(self.operand(tokens[i], where, dot, scopes))
                i += 1
        head = tokens[0]
        if head[0] == "name" and head[1] in FUNCTIONS:
            return FUNCTIONS[head[1]](self, where, *(args + extra))
        if head == ("p", "("):
            return self.command([("value", self.pipeline(tokens[1:-1], where, dot, scopes))], where, dot, scopes, extra)
        if len(tokens) > 1 or extra:
            raise ChartError(f"{where}: '{head[1]}' is not a function this checker knows")
        return self.operand(head, where, dot, scopes)

    def operand(self, token, where, dot, scopes):
        kind, value = token
        if kind in ("str", "num", "value"):
            return value
        if kind == "p":
            raise ChartError(f"{where}: unexpected '{value}'")
        if value in ("true", "false"):
            return value == "true"
        if value == "nil":
            return None
        if value == ".":
            return dot
        if value.startswith("$"):
            head, _, path = value.partition(".")
            for scope in reversed(scopes):
                if head in scope:
                    return lookup(scope[head], path, head, where)
            raise ChartError(f"{where}: undefined variable {head}")
        if value.startswith("."):
            return lookup(dot, value[1:], ".", where)
        raise ChartError(f"{where}: '{value}' is not a function this checker knows")

    def show(self, value, where):
        if isinstance(value, Missing):
            raise ChartError(f"{where}: {value.path} is not in values.yaml")
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, (dict, list)):
            raise ChartError(f"{where}: printing a map or list (use toYaml)")
        return str(value)


class VDict(dict):
    """A values map that knows its path (Values.services.encoder), for error messages."""
    path = ""


def tag(value, path):
    if isinstance(value, dict):
        d = VDict((k, tag(v, f"{path}.{k}")) for k, v in value.items())
        d.path = path
        return d
    if isinstance(value, list):
        return [tag(v, f"{path}[{i}]") for i, v in enumerate(value)]
    return value


def plain(value):
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def lookup(value, path, start, where):
    shown = "" if start == "." else start
    for part in [p for p in path.split(".") if p]:
        shown = f"{shown}.{part}"
        if isinstance(value, Missing):
            return Missing(f"{value.path}.{part}")
        if not isinstance(value, dict):
            raise ChartError(f"{where}: {shown}: cannot take field '{part}' of a {type(value).__name__}")
        if part not in value:
            return Missing(f"{value.path}.{part}" if isinstance(value, VDict) and value.path else shown)
        value = value[part]
    return value


def truthy(value):
    if isinstance(value, Missing) or value is None:
        return False
    if isinstance(value, (bool, int, float)):
        return bool(value)
    return len(value) > 0


def strict(where, *values):
    for v in values:
        if isinstance(v, Missing):
            raise ChartError(f"{where}: {v.path} is not in values.yaml")


def to_yaml(r, where, value):
    strict(where, value)
    if value in (None, {}, []):
        return "{}" if not isinstance(value, list) else "[]"
    return yaml.safe_dump(plain(value), default_flow_style=False, sort_keys=True).rstrip("\n")


def fn_include(r, where, name, ctx):
    if name not in r.defines:
        raise ChartError(f"{where}: include of undefined template '{name}'")
    return r.exec(r.defines[name], ctx, [{"$": r.root}])


def fn_indent(r, where, n, s):
    strict(where, s)
    return "\n".join(" " * n + line if line else line for line in str(s).split("\n"))


def fn_default(r, where, fallback, value=None):
    return value if truthy(value) else fallback


def fn_fail(r, where, message):
    raise ChartError(f"{where}: fail: {message}")


def fn_required(r, where, message, value):
    if not truthy(value):
        raise ChartError(f"{where}: required: {message}")
    return value


def compare(op):
    def f(r, where, a, b):
        strict(where, a, b)
        return op(a, b)
    return f


def _product(values):
    out = 1
    for v in values:
        out *= int(v)
    return out


def fn_printf(r, where, fmt, *args):
    strict(where, *args)
    return re.sub(r"%[sdv]", "{}", fmt).format(*args)


FUNCTIONS = {
    "include": fn_include,
    "toYaml": to_yaml,
    "indent": fn_indent,
    "nindent": lambda r, w, n, s: "\n" + fn_indent(r, w, n, s),
    "quote": lambda r, w, v: strict(w, v) or json.dumps("" if v is None else str(v).lower() if isinstance(v, bool) else str(v)),
    "default": fn_default,
    "dict": lambda r, w, *kv: {kv[i]: kv[i + 1] for i in range(0, len(kv), 2)},
    "eq": compare(lambda a, b: a == b),
    "ne": compare(lambda a, b: a != b),
    "gt": compare(lambda a, b: a > b),
    "lt": compare(lambda a, b: a < b),
    "not": lambda r, w, v: not truthy(v),
    "and": lambda r, w, *v: next((x for x in v if not truthy(x)), v[-1]),
    "or": lambda r, w, *v: next((x for x in v if truthy(x)), v[-1]),
    "int": lambda r, w, v: strict(w, v) or int(v or 0),
    "mul": lambda r, w, *v: strict(w, *v) or _product(v),
    "printf": fn_printf,
    "fail": fn_fail,
    "required": fn_required,
    "sha256sum": lambda r, w, s: strict(w, s) or hashlib.sha256(str(s).encode()).hexdigest(),
}


# ---------------------------------------------------------------- Kubernetes checks

API_VERSIONS = {
    "Deployment": "apps/v1", "Service": "v1", "ConfigMap": "v1", "Secret": "v1",
    "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1", "Job": "batch/v1",
    "MPIJob": "kubeflow.org/v2beta1",
}
DNS_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


def parse_duration(text):
    h, m, s = (text or "0:0:0").split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def check_objects(objects, values, errors):
    by_kind = {}
    for where, obj in objects:
        kind = obj.get("kind")
        meta = obj.get("metadata") or {}
        name = meta.get("name", "")
        if kind not in API_VERSIONS:
            errors.append(f"{where}: unexpected kind {kind!r}")
            continue
        if obj.get("apiVersion") != API_VERSIONS[kind]:
            errors.append(f"{where}: {kind} {name} has apiVersion {obj.get('apiVersion')}, expected {API_VERSIONS[kind]}")
        if not DNS_LABEL.match(name) or len(name) > 63:
            errors.append(f"{where}: {kind} name {name!r} is not a DNS label of at most 63 characters")
        if name in by_kind.setdefault(kind, {}):
            errors.append(f"{where}: two {kind} objects are named {name}")
        by_kind[kind][name] = obj

    deployments = by_kind.get("Deployment", {})
    pods = {n: d["spec"]["template"] for n, d in deployments.items()}
    pods.update({n: j["spec"]["template"] for n, j in by_kind.get("Job", {}).items()})
    for n, m in by_kind.get("MPIJob", {}).items():
        pods.update({f"{n}-{role.lower()}": spec["template"] for role, spec in (m["spec"].get("mpiReplicaSpecs") or {}).items()})

    def selects(selector, kinds=("Deployment",)):
        return [n for n, d in deployments.items() if "Deployment" in kinds
                and selector and all(d["spec"]["template"]["metadata"]["labels"].get(k) == v for k, v in selector.items())]

    for name, pod in pods.items():
        spec = pod["spec"]
        volumes = {v["name"] for v in spec.get("volumes", [])}
        for c in spec["containers"]:
            ports = {p["name"]: p["containerPort"] for p in c.get("ports", [])}
            for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
                grpc = (c.get(probe) or {}).get("grpc")
                if grpc and grpc.get("port") not in ports.values():
                    errors.append(f"{name}: {probe} port {grpc.get('port')} is not a container port {sorted(ports.values())}")
            for ref in c.get("envFrom", []):
                for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
                    if key in ref and ref[key]["name"] not in by_kind.get(kind, {}):
                        errors.append(f"{name}: envFrom names {kind} {ref[key]['name']}, which the chart does not make")
            for mount in c.get("volumeMounts", []):
                if mount["name"] not in volumes:
                    errors.append(f"{name}: volumeMount {mount['name']} has no volume")
            for env in c.get("env", []):
                value = str(env.get("value", ""))
                m = re.match(r"^dns:///([^:]+):(\d+)$", value)
                if m:
                    svc = by_kind.get("Service", {}).get(m.group(1))
                    if svc is None or svc["spec"].get("clusterIP") != "None":
                        errors.append(f"{name}: {env['name']} points at {m.group(1)}, not a headless Service of this chart")
                    elif int(m.group(2)) not in [p["port"] for p in svc["spec"]["ports"]]:
                        errors.append(f"{name}: {env['name']} uses port {m.group(2)}, which {m.group(1)} does not expose")
            gpu = ((c.get("resources") or {}).get("limits") or {}).get("nvidia.com/gpu")
            tolerated = any(t.get("key") == "nvidia.com/gpu" for t in spec.get("tolerations", []))
            if gpu and (not tolerated or not spec.get("nodeSelector")):
                errors.append(f"{name}: asks for nvidia.com/gpu but has no GPU toleration or no nodeSelector for its pool")
        if spec.get("securityContext", {}).get("runAsNonRoot") is not True:
            errors.append(f"{name}: pods must run as non-root")

    grace = parse_duration(values["config"].get("Shutdown__DrainDelay")) + parse_duration(values["config"].get("Shutdown__Timeout")) \
        + parse_duration(values["config"].get("Shutdown__CancelGrace"))
    for name, d in deployments.items():
        spec = d["spec"]
        labels = spec["template"]["metadata"]["labels"]
        if any(labels.get(k) != v for k, v in spec["selector"]["matchLabels"].items()):
            errors.append(f"{name}: selector {spec['selector']['matchLabels']} does not match pod labels {labels}")
        if spec["template"]["spec"].get("terminationGracePeriodSeconds", 30) <= grace:
            errors.append(f"{name}: terminationGracePeriodSeconds must exceed the drain budget ({grace:g} s)")
        if not any(s["spec"].get("clusterIP") == "None" and selects(s["spec"].get("selector")) == [name]
                   for s in by_kind.get("Service", {}).values()):
            errors.append(f"{name}: no headless Service selects it")
        if not any(selects(p["spec"]["selector"]["matchLabels"]) == [name] for p in by_kind.get("PodDisruptionBudget", {}).values()):
            errors.append(f"{name}: no PodDisruptionBudget selects it")
    for name, s in by_kind.get("Service", {}).items():
        targets = selects(s["spec"].get("selector"))
        if len(targets) != 1:
            errors.append(f"Service {name} selects {len(targets)} Deployments, expected 1")
            continue
        ports = [p["name"] for c in deployments[targets[0]]["spec"]["template"]["spec"]["containers"] for p in c.get("ports", [])]
        for p in s["spec"]["ports"]:
            if isinstance(p.get("targetPort"), str) and p["targetPort"] not in ports:
                errors.append(f"Service {name}: targetPort {p['targetPort']} is not a port of {targets[0]}")
    for name, h in by_kind.get("HorizontalPodAutoscaler", {}).items():
        ref = h["spec"]["scaleTargetRef"]
        if ref.get("kind") != "Deployment" or ref.get("name") not in deployments:
            errors.append(f"HPA {name} scales {ref}, which the chart does not make")
        if not 1 <= h["spec"]["minReplicas"] <= h["spec"]["maxReplicas"]:
            errors.append(f"HPA {name}: needs 1 <= minReplicas <= maxReplicas")
        if "replicas" in deployments.get(ref.get("name"), {}).get("spec", {}):
            errors.append(f"HPA {name}: its Deployment also sets replicas, which would fight the autoscaler")
    for name, j in by_kind.get("Job", {}).items():
        spec = j["spec"]
        if spec["template"]["spec"].get("restartPolicy") not in ("Never", "OnFailure"):
            errors.append(f"Job {name}: restartPolicy must be Never or OnFailure")
        if spec.get("completionMode") == "Indexed" and not isinstance(spec.get("completions"), int):
            errors.append(f"Job {name}: an Indexed Job needs integer completions")
        for c in spec["template"]["spec"].get("containers", []):
            if c.get("name") == "trainer" and "Trainer__ConfigPath" not in {e["name"] for e in c.get("env", [])}:
                errors.append(f"Job {name}: container trainer has no Trainer__ConfigPath (it would serve forever)")
            if c.get("name") == "dataprep":
                env = {e["name"] for e in c.get("env", [])}
                # The service refuses to start without these (DataPrepOptions), or runs no job without Input/Output.
                for key in ("DataPrep__Input", "DataPrep__Output", "DataPrep__Masks", "DataPrep__Shard", "DataPrep__ShardCount"):
                    if key not in env:
                        errors.append(f"Job {name}: container dataprep has no {key}")
    check_mpijobs(by_kind.get("MPIJob", {}), errors)
    return by_kind


def check_mpijobs(mpijobs, errors):
    """The MPI Operator's MPIJob of data-parallel training: one launcher whose mpirun starts one rank per GPU
    slot, workers with that many GPUs and the shared checkpoints volume, a restart budget."""
    for name, m in mpijobs.items():
        spec = m["spec"]
        roles = spec.get("mpiReplicaSpecs") or {}
        if set(roles) != {"Launcher", "Worker"}:
            errors.append(f"MPIJob {name}: mpiReplicaSpecs must be Launcher and Worker, got {sorted(roles)}")
            continue
        if spec.get("mpiImplementation") != "OpenMPI":
            errors.append(f"MPIJob {name}: mpiImplementation must be OpenMPI (the trainer binds Open MPI's libmpi), got {spec.get('mpiImplementation')}")
        if not isinstance((spec.get("runPolicy") or {}).get("backoffLimit"), int):
            errors.append(f"MPIJob {name}: runPolicy.backoffLimit must be set (restarts resume from the last checkpoint)")
        launcher, worker = roles["Launcher"], roles["Worker"]
        if launcher.get("replicas") != 1:
            errors.append(f"MPIJob {name}: the launcher must have 1 replica, got {launcher.get('replicas')}")
        workers, slots = worker.get("replicas"), spec.get("slotsPerWorker")
        if not isinstance(workers, int) or workers < 1:
            errors.append(f"MPIJob {name}: Worker replicas must be a positive integer, got {workers!r}")
            continue
        container = worker["template"]["spec"]["containers"][0]
        gpu = ((container.get("resources") or {}).get("limits") or {}).get("nvidia.com/gpu")
        if gpu and gpu != slots:
            errors.append(f"MPIJob {name}: slotsPerWorker {slots} is not the worker's {gpu} GPUs (one rank per GPU)")
        if "checkpoints" not in {v["name"] for v in container.get("volumeMounts", [])}:
            errors.append(f"MPIJob {name}: the workers do not mount the checkpoints volume (every rank resumes from it)")
        run = launcher["template"]["spec"]["containers"][0]
        command = [str(x) for x in run.get("command", []) + run.get("args", [])]
        if not command or command[0] != "mpirun":
            errors.append(f"MPIJob {name}: the launcher must run mpirun, runs {command[:1]}")
            continue
        ranks = command[command.index("-np") + 1] if "-np" in command[:-1] else None
        if ranks != str(workers * (slots or 1)):
            errors.append(f"MPIJob {name}: mpirun -np {ranks} but workers x slotsPerWorker = {workers * (slots or 1)}")
        if "train" not in command or "--config" not in command:
            errors.append(f"MPIJob {name}: the launcher's mpirun does not run `unimog train --config`")


# ---------------------------------------------------------------- main

def set_path(values, dotted, raw):
    *parents, leaf = dotted.split(".")
    node = values
    for p in parents:
        if not isinstance(node.get(p), dict):
            raise ChartError(f"--set {dotted}: values.yaml has no map at {p}")
        node = node[p]
    if leaf not in node:
        raise ChartError(f"--set {dotted}: values.yaml has no key {leaf} there")
    node[leaf] = yaml.safe_load(raw)


def render_chart(chart, overrides=()):
    chart = Path(chart)
    meta = yaml.safe_load((chart / "Chart.yaml").read_text())
    values = yaml.safe_load((chart / "values.yaml").read_text())
    for o in overrides:
        key, _, raw = o.partition("=")
        set_path(values, key, raw)
    root = {
        "Values": tag(copy.deepcopy(values), "Values"),
        "Release": tag({"Name": "unimog", "Namespace": "default", "Service": "Helm"}, "Release"),
        "Chart": tag({"Name": meta["name"], "Version": meta["version"], "AppVersion": meta.get("appVersion", "")}, "Chart"),
    }
    files = {str(p.relative_to(chart)): p.read_text() for p in sorted((chart / "templates").iterdir())
             if p.suffix in (".yaml", ".yml", ".tpl", ".txt")}
    renderer = Renderer(files, root)
    outputs = {name: renderer.render(name) for name in files if not name.endswith(".tpl")}
    return values, outputs


class StrictLoader(yaml.SafeLoader):
    """Refuses duplicate keys, which YAML parsers silently resolve (last wins) and Kubernetes rejects."""


def _mapping(loader, node, deep=False):
    keys = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in keys:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        keys.add(key)
    return loader.construct_mapping(node, deep)


StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def check(chart, overrides=()):
    errors = []
    values, outputs = render_chart(chart, overrides)
    objects = []
    for name, text in outputs.items():
        if name.endswith(".txt"):
            continue
        try:
            docs = list(yaml.load_all(text, Loader=StrictLoader))
        except yaml.YAMLError as e:
            errors.append(f"{name}: rendered output is not YAML: {e}")
            continue
        for doc in docs:
            if doc is None:
                continue
            if not isinstance(doc, dict) or "kind" not in doc or "metadata" not in doc:
                errors.append(f"{name}: a rendered document is not a Kubernetes object: {str(doc)[:80]}")
                continue
            objects.append((name, doc))
    by_kind = check_objects(objects, values, errors)
    return errors, {k: sorted(v) for k, v in by_kind.items()}


def main(argv):
    if not argv or argv[0].startswith("-"):
        print(__doc__, file=sys.stderr)
        return 2
    chart, overrides = argv[0], []
    rest = argv[1:]
    while rest:
        if rest[0] != "--set" or len(rest) < 2:
            print(f"chart_check: unknown argument {rest[0]}", file=sys.stderr)
            return 2
        overrides.append(rest[1])
        rest = rest[2:]
    try:
        errors, kinds = check(chart, overrides)
    except ChartError as e:
        print(f"chart_check: {e}", file=sys.stderr)
        return 1
    for e in errors:
        print(f"chart_check: {e}", file=sys.stderr)
    summary = ", ".join(f"{len(v)} {k}" for k, v in sorted(kinds.items()))
    print(f"chart_check: {chart}{' with ' + ' '.join(overrides) if overrides else ''}: {summary}; {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
