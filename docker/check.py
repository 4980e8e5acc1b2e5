#!/usr/bin/env python3
"""Checks the container files without a container engine (run by .ci/run after hadolint):
the Dockerfile is multi-stage, runs as a non-root user, has a data volume and a health check;
compose.yml parses and runs Roadie, PostgreSQL and a second worker on one configuration."""
import pathlib
import sys

import yaml

root = pathlib.Path(__file__).resolve().parent
problems = []

lines = [l.strip() for l in (root / "Dockerfile").read_text().splitlines()]
instructions = [l for l in lines if l and not l.startswith("#")]
froms = [l for l in instructions if l.upper().startswith("FROM ")]
if len(froms) < 2:
    problems.append("Dockerfile: expected a multi-stage build (two FROM lines)")
final = instructions[instructions.index(froms[-1]):]
users = [l.split()[1] for l in final if l.upper().startswith("USER ")]
if not users or users[-1].split(":")[0] in ("0", "root"):
    problems.append("Dockerfile: the final stage must switch to a non-root USER")
if not any(l.upper().startswith("VOLUME ") for l in final):
    problems.append("Dockerfile: no VOLUME for the data directory")
if not any(l.upper().startswith("HEALTHCHECK ") for l in final):
    problems.append("Dockerfile: no HEALTHCHECK")
if not any('"roadie", "health"' in l for l in final):
    problems.append("Dockerfile: the health check should run `roadie health`")

compose = yaml.safe_load((root / "compose.yml").read_text())
services = compose.get("services", {})
for name in ("roadie", "worker", "postgres"):
    if name not in services:
        problems.append(f"compose.yml: service {name} is missing")
if services.get("worker", {}).get("command") != ["worker"]:
    problems.append("compose.yml: the worker service must run `roadie worker`")
for name in ("roadie", "worker"):
    env = services.get(name, {}).get("environment", {})
    for var in ("ROADIE_DOMAIN", "ROADIE_DATABASE_URL", "ROADIE_DATA_DIR"):
        if var not in env:
            problems.append(f"compose.yml: {name} lacks {var}")
    if not str(env.get("ROADIE_DATABASE_URL", "")).startswith("postgres://"):
        problems.append(f"compose.yml: {name} must use PostgreSQL (shared by all processes)")

for p in problems:
    print(p, file=sys.stderr)
if problems:
    sys.exit(1)
print("docker/Dockerfile and docker/compose.yml: essentials present")
