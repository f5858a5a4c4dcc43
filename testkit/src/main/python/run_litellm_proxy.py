"""Starts LiteLLM's real proxy (the installed `litellm[proxy]` package) on 127.0.0.1 for tests.

Only the database engine is stood in: the in-memory test double of the `prisma` package in
prisma_standin/ is put first on sys.path, so LiteLLM's own PrismaClient, auth layer and route
handlers run unchanged against it. Everything else is LiteLLM's code.

Usage (with the virtual environment that scripts/install-tools.sh makes):
  LITELLM_MASTER_KEY=sk-<strong> .tools/py-litellm/bin/python \
      testkit/src/main/python/run_litellm_proxy.py --port 4000 [--model gpt-4o-mini --model claude-haiku]

The master key comes only from the environment (never the command line). The config names fake
upstreams on an unreachable 127.0.0.1 port: Keyturn needs the models listed, never called.
Telemetry, the remote model-cost map, spend logs and the proxy's background jobs are off.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
STANDIN = HERE / "prisma_standin"

# An address nothing listens on: a model call would fail fast, and none is ever made.
FAKE_UPSTREAM = "http://127.0.0.1:9/v1"


def config_yaml(models: list[str]) -> str:
    lines = ["model_list:"]
    for name in models:
        provider = "anthropic" if "claude" in name else "openai"
        lines += [
            f"  - model_name: {name}",
            "    litellm_params:",
            f"      model: {provider}/{name}",
            f"      api_base: {FAKE_UPSTREAM}",
            "      api_key: fake-upstream-key-for-tests",
        ]
    lines += [
        "litellm_settings:",
        "  telemetry: false",
        "  callbacks: []",
        "  success_callback: []",
        "  failure_callback: []",
        "general_settings:",
        "  master_key: os.environ/LITELLM_MASTER_KEY",
        "  database_url: os.environ/DATABASE_URL",
        "  disable_spend_logs: true",
        "  disable_error_logs: true",
        "  disable_prisma_schema_update: true",
        "  disable_reset_budget: true",
        "  allow_requests_on_db_unavailable: false",
        "  background_health_checks: false",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--model", action="append", dest="models",
                        help="a model name to list (repeatable); default gpt-4o-mini and claude-haiku")
    parser.add_argument("--config", type=Path, help="use this config file instead of the generated one")
    args = parser.parse_args()

    master_key = os.environ.get("LITELLM_MASTER_KEY", "")
    if len(master_key) < 32 or not master_key.startswith("sk-"):
        print("run_litellm_proxy: set LITELLM_MASTER_KEY to a strong key (sk- and at least 29 more "
              "characters) in the environment", file=sys.stderr)
        return 2

    if args.config is not None:
        config_path = args.config
    else:
        handle = tempfile.NamedTemporaryFile("w", prefix="keyturn-litellm-", suffix=".yaml", delete=False)
        with handle:
            handle.write(config_yaml(args.models or ["gpt-4o-mini", "claude-haiku"]))
        config_path = Path(handle.name)

    # No network fetches and no telemetry; a database URL so LiteLLM builds its PrismaClient
    # (the stand-in never connects anywhere).
    os.environ.setdefault("DATABASE_URL", "postgresql://standin:standin@127.0.0.1:9/litellm")
    os.environ["CONFIG_FILE_PATH"] = str(config_path)
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ["LITELLM_TELEMETRY"] = "False"
    os.environ["DISABLE_SCHEMA_UPDATE"] = "true"
    os.environ["LITELLM_DONT_SHOW_FEEDBACK_BOX"] = "true"
    os.environ.setdefault("LITELLM_LOG", "INFO")

    sys.path.insert(0, str(STANDIN))
    import prisma  # noqa: E402  # must resolve to the stand-in, not a real prisma-client-py

    if not getattr(prisma, "STAND_IN", False):
        print(f"run_litellm_proxy: 'prisma' resolved to {prisma.__file__}, not the stand-in", file=sys.stderr)
        return 2

    import uvicorn  # noqa: E402

    print(f"run_litellm_proxy: LiteLLM proxy on http://127.0.0.1:{args.port} (config {config_path}, "
          f"prisma stand-in {Path(prisma.__file__).parent})", flush=True)
    uvicorn.run("litellm.proxy.proxy_server:app", host="127.0.0.1", port=args.port, log_level="info",
                workers=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
