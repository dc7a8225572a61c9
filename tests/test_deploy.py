"""The deployment files in deploy/: what a deployer relies on, checked without docker.

Kubernetes, compose and systemd files are parsed and cross-checked against each
other and against the app (its settings, console script and bundled knowledge).
"""

from __future__ import annotations

import configparser
import importlib.util
import re
import shlex
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.content import BUNDLED_KNOWLEDGE, load_snapshot
from bot.service.settings import SETTING_NAMES

REPO = Path(__file__).resolve().parents[1]
DEPLOY = REPO / "deploy"
K8S = DEPLOY / "k8s"
# Environment variables in deploy/ that are not facts-bot settings, and why.
NOT_SETTINGS = {
    "PYTHONDONTWRITEBYTECODE", "PYTHONUNBUFFERED",   # the Python runtime
    "PIP_DISABLE_PIP_VERSION_CHECK", "PIP_NO_CACHE_DIR",  # image build only
    "PATH",  # the image puts its virtualenv first
}
YAML_FILES = sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))


def k8s_documents() -> list[dict]:
    docs = []
    for path in sorted(K8S.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]
    return docs


def k8s_object(kind: str, name: str | None = None) -> dict:
    found = [d for d in k8s_documents() if d.get("kind") == kind
             and (name is None or d["metadata"]["name"] == name)]
    assert len(found) == 1, f"expected one {kind} {name or ''} in deploy/k8s, found {len(found)}"
    return found[0]


@pytest.fixture(scope="module")
def deployment() -> dict:
    return k8s_object("Deployment")


@pytest.fixture(scope="module")
def container(deployment: dict) -> dict:
    containers = deployment["spec"]["template"]["spec"]["containers"]
    return next(c for c in containers if c["name"] == "facts-bot")


def env_value(container: dict, name: str) -> str:
    values = [e["value"] for e in container.get("env", []) if e["name"] == name]
    assert values, f"{container['name']} does not set {name}"
    return values[0]


def port_matches(container: dict, port: int | str) -> bool:
    return any(port in (p["containerPort"], p.get("name")) for p in container["ports"])


def selects(selector: dict, labels: dict) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def dockerfile() -> str:
    return (DEPLOY / "Dockerfile").read_text(encoding="utf-8")


def dockerfile_env() -> dict[str, str]:
    text = re.sub(r"\\\n", " ", dockerfile())
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(item.split("=", 1) for item in shlex.split(line[4:]))
    return env


def unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read_string((DEPLOY / name).read_text(encoding="utf-8"))
    return parser


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yml").read_text(encoding="utf-8"))


def generator():
    spec = importlib.util.spec_from_file_location("knowledge_configmap",
                                                  K8S / "knowledge_configmap.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --- every file parses ---------------------------------------------------------------

@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_parses(path: Path):
    docs = [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d is not None]
    assert docs and all(isinstance(d, dict) for d in docs)


def test_kustomization_lists_existing_files():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text(encoding="utf-8"))
    for resource in kustomization["resources"]:
        assert (K8S / resource).is_file(), resource
    assert "secret.example.yaml" not in kustomization["resources"]


# --- Kubernetes ----------------------------------------------------------------------

def test_deployment_runs_two_replicas_without_downtime(deployment: dict):
    spec = deployment["spec"]
    assert spec["replicas"] == 2
    assert spec["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert selects(spec["selector"]["matchLabels"], spec["template"]["metadata"]["labels"])


def test_probes_liveness_healthz_readiness_readyz(container: dict):
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        if probe in container:
            assert port_matches(container, container[probe]["httpGet"]["port"]), probe


def test_container_listens_where_the_probes_look(container: dict):
    assert env_value(container, "FACTS_HOST") == "0.0.0.0"  # 127.0.0.1 fails every probe
    assert port_matches(container, int(env_value(container, "FACTS_PORT")))


def test_runs_as_non_root_read_only(deployment: dict, container: dict):
    pod = deployment["spec"]["template"]["spec"]
    context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
    assert context["runAsNonRoot"] is True
    assert context.get("runAsUser", 1) != 0
    assert context["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert "/tmp" in mounts


def test_knowledge_mounted_where_facts_knowledge_dir_points(deployment: dict, container: dict):
    knowledge_dir = env_value(container, "FACTS_KNOWLEDGE_DIR")
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == knowledge_dir)
    assert "subPath" not in mount  # a subPath mount never sees ConfigMap updates
    volume = next(v for v in deployment["spec"]["template"]["spec"]["volumes"]
                  if v["name"] == mount["name"])
    k8s_object("ConfigMap", volume["configMap"]["name"])
    assert env_value(container, "FACTS_LOG_FORMAT") == "json"


def test_pdb_and_service_select_the_pods(deployment: dict, container: dict):
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    pdb = k8s_object("PodDisruptionBudget")
    assert selects(pdb["spec"]["selector"]["matchLabels"], labels)
    assert pdb["spec"]["minAvailable"] == 1
    service = k8s_object("Service")
    assert selects(service["spec"]["selector"], labels)
    for port in service["spec"]["ports"]:
        assert port_matches(container, port["targetPort"])


def test_secret_example_holds_the_tokens():
    secret = k8s_object("Secret")
    data = secret["stringData"]
    assert "SLACK_BOT_TOKEN" in data
    assert "SLACK_SIGNING_SECRET" in data or "SLACK_APP_TOKEN" in data
    assert data["FACTS_DB"].startswith("postgresql://")  # two replicas, one log


def test_knowledge_configmap_is_up_to_date():
    committed = k8s_object("ConfigMap", "facts-knowledge")
    expected = generator().configmap(BUNDLED_KNOWLEDGE)
    assert committed["data"] == expected["data"], (
        "deploy/k8s/configmap-knowledge.yaml is out of date with knowledge/: run "
        "python deploy/k8s/knowledge_configmap.py > deploy/k8s/configmap-knowledge.yaml")


def kubelet_mount(data: dict[str, str], target: Path) -> Path:
    """Lay out ConfigMap data as the kubelet does: files in a hidden timestamped
    directory, `..data` linking to it, and one symlink per key."""
    stamped = target / "..2026_11_25_01_02_03.123456789"
    stamped.mkdir(parents=True)
    for key, text in data.items():
        (stamped / key).write_text(text, encoding="utf-8")
    (target / "..data").symlink_to(stamped.name)
    for key in data:
        (target / key).symlink_to(f"..data/{key}")
    return target


def test_knowledge_configmap_flattened_is_the_same_content(tmp_path: Path):
    flat = tmp_path / "flat"
    flat.mkdir()
    for key, text in generator().knowledge_data(BUNDLED_KNOWLEDGE).items():
        (flat / key).write_text(text, encoding="utf-8")
    bundled = load_snapshot(BUNDLED_KNOWLEDGE)
    assert sorted(e.id for e in load_snapshot(flat).entries) == sorted(
        e.id for e in bundled.entries)


def test_knowledge_loads_from_a_configmap_volume(tmp_path: Path):
    data = generator().knowledge_data(BUNDLED_KNOWLEDGE)
    first = load_snapshot(kubelet_mount(data, tmp_path / "pod-a"))
    second = load_snapshot(kubelet_mount(data, tmp_path / "pod-b"))
    bundled = load_snapshot(BUNDLED_KNOWLEDGE)
    assert sorted(e.id for e in first.entries) == sorted(e.id for e in bundled.entries)
    assert first.version == second.version  # replicas report the same content version


# --- settings named anywhere in deploy/ are settings the app knows --------------------

def deploy_env_names() -> dict[str, set[str]]:
    names: dict[str, set[str]] = {}
    for doc in k8s_documents():
        if doc["kind"] == "Secret":
            names[f"Secret {doc['metadata']['name']}"] = set(doc.get("stringData", {}))
        spec = doc.get("spec", {})
        pod = spec.get("template", spec.get("jobTemplate", {}).get("spec", {}).get("template"))
        if pod:
            for c in pod["spec"]["containers"]:
                names[f"{doc['kind']} {c['name']}"] = {e["name"] for e in c.get("env", [])}
    names["Dockerfile"] = set(dockerfile_env())
    for name, service in compose()["services"].items():
        if name != "db":
            names[f"compose {name}"] = set(service.get("environment", {}))
    example = (DEPLOY / "facts-bot.env.example").read_text(encoding="utf-8")
    names["facts-bot.env.example"] = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]+)=", example, re.M))
    for name in ("facts-bot.service", "facts-bot-alerts.service"):
        assignments = unit(name)["Service"].get("Environment", "")
        names[name] = set(re.findall(r"([A-Z][A-Z0-9_]+)=", assignments))
    return names


def test_every_env_var_in_deploy_is_a_known_setting():
    known = set(SETTING_NAMES) | NOT_SETTINGS
    unknown = {where: sorted(found - known) for where, found in deploy_env_names().items()
               if found - known}
    assert not unknown, f"not settings the app knows (typos?): {unknown}"


def test_secrets_are_not_baked_into_the_image():
    assert not {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                "FACTS_PSEUDONYM_KEY"} & set(dockerfile_env())


# --- Dockerfile ----------------------------------------------------------------------

def test_dockerfile_non_root_healthcheck_and_knowledge():
    text = dockerfile()
    users = re.findall(r"^USER\s+(\S+)", text, re.M)
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK\b.*?/healthz", re.sub(r"\\\n", " ", text), re.M)
    env = dockerfile_env()
    assert re.search(rf"^COPY\s+knowledge/?\s+{re.escape(env['FACTS_KNOWLEDGE_DIR'])}", text,
                     re.M) or re.search(r"^WORKDIR /app$", text, re.M) and re.search(
        r"^COPY\s+knowledge/?\s+knowledge/?$", text, re.M) and env[
        "FACTS_KNOWLEDGE_DIR"] == "/app/knowledge"
    assert env["FACTS_HOST"] == "0.0.0.0"
    assert re.search(rf"^EXPOSE\s+{env['FACTS_PORT']}\b", text, re.M)
    assert re.search(r'^CMD \["facts-bot", "serve"\]', text, re.M)


def test_console_script_exists():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "facts-bot" in pyproject["project"]["scripts"]


# --- systemd -------------------------------------------------------------------------

def test_systemd_unit_reloads_on_hup_and_runs_the_console_script():
    service = unit("facts-bot.service")["Service"]
    assert re.fullmatch(r"/bin/kill -(s )?HUP \$MAINPID", service["ExecReload"])
    assert re.fullmatch(r"/\S+/bin/facts-bot serve", service["ExecStart"])
    assert service["KillSignal"] == "SIGTERM"
    assert service["User"] not in ("root", "0")
    assert service["EnvironmentFile"] == "/etc/facts-bot/env"
    assert service["NoNewPrivileges"] == "yes"
    assert service["ProtectSystem"] == "strict"


def test_systemd_sqlite_path_is_writable():
    example = (DEPLOY / "facts-bot.env.example").read_text(encoding="utf-8")
    db = re.search(r"^FACTS_DB=(.+)$", example, re.M).group(1)
    writable = unit("facts-bot.service")["Service"]["ReadWritePaths"].split()
    assert any(db.startswith(path.rstrip("/") + "/") for path in writable), db


# --- compose -------------------------------------------------------------------------

def test_compose_bot_waits_for_a_healthy_database():
    services = compose()["services"]
    bot = services["bot"]
    assert bot["depends_on"]["db"]["condition"] == "service_healthy"
    assert "healthcheck" in services["db"]
    assert bot["environment"]["FACTS_DB"].startswith("postgresql://")
    assert "@db:5432/" in bot["environment"]["FACTS_DB"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["build"]["dockerfile"] == "deploy/Dockerfile"
    assert (DEPLOY / bot["build"]["context"] / "bot").is_dir()
