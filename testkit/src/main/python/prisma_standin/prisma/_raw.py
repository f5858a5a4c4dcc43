"""Test double (stand-in) for raw SQL sent through prisma-client-py (query_raw/query_first/execute_raw).

There is no SQL engine here. The few statements LiteLLM's proxy issues on its start-up and auth
paths are recognised one by one (whitespace-insensitive patterns) and answered from the in-memory
store, in the shape prisma-client-py's raw queries return (a list of dicts, DateTime as ISO text,
Json as parsed values). Every other statement raises StandInUnsupportedError and is logged, so a
code path that needs more shows up in the proxy's log instead of getting an empty answer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from ._engine import STORE, UTC, unsupported
from ._schema import schema


def _norm(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip().rstrip(";").strip()


def _json_value(value: Any) -> Any:
    # Raw queries come back through JSON: timestamps as ISO-8601 text.
    if isinstance(value, dt.datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    return value


def _one(model: str, **match: Any) -> dict | None:
    for row in STORE.rows(model):
        if all(row.get(k) == v for k, v in match.items()):
            return row
    return None


def _select_one(sql: str, args: tuple) -> list[dict]:
    return [{"?column?": 1}]


def _views(sql: str, args: tuple) -> list[dict]:
    # The stand-in serves the views LiteLLM creates (it computes them on the fly), so all exist.
    names = re.findall(r"'(\w+)'", sql.split(" IN ", 1)[1])
    return [{"view_count": len(names), "view_names": names}]


def _regclass(sql: str, args: tuple) -> list[dict]:
    name = str(args[0]).strip('"') if args else ""
    return [{"present": name in schema().models}]


def _read_only(sql: str, args: tuple) -> list[dict]:
    return [{"transaction_read_only": "off"}]


# LiteLLM's token lookup (PrismaClient.get_data(table_name="combined_view")): the key row joined
# with its team, team membership, team model aliases, budget, project and organization.
_COMBINED_VIEW_COLUMNS = {
    "team_spend": ("t", "spend"), "team_max_budget": ("t", "max_budget"),
    "team_soft_budget": ("t", "soft_budget"), "team_model_max_budget": ("t", "model_max_budget"),
    "team_tpm_limit": ("t", "tpm_limit"), "team_rpm_limit": ("t", "rpm_limit"),
    "team_tpd_limit": ("t", "tpd_limit"), "team_models": ("t", "models"),
    "team_metadata": ("t", "metadata"), "team_blocked": ("t", "blocked"),
    "team_alias": ("t", "team_alias"), "team_members_with_roles": ("t", "members_with_roles"),
    "team_object_permission_id": ("t", "object_permission_id"), "org_id": ("t", "organization_id"),
    "project_alias": ("p", "project_alias"), "team_member_spend": ("tm", "spend"),
    "team_member_tpm_limit": ("b_tm", "tpm_limit"), "team_member_rpm_limit": ("b_tm", "rpm_limit"),
    "team_model_aliases": ("m", "aliases"),
    "litellm_budget_table_max_budget": ("b", "max_budget"),
    "litellm_budget_table_tpm_limit": ("b", "tpm_limit"),
    "litellm_budget_table_rpm_limit": ("b", "rpm_limit"),
    "litellm_budget_table_tpd_limit": ("b", "tpd_limit"),
    "litellm_budget_table_model_max_budget": ("b", "model_max_budget"),
    "litellm_budget_table_soft_budget": ("b", "soft_budget"),
    "organization_metadata": ("o", "metadata"), "organization_alias": ("o", "organization_alias"),
    "organization_max_budget": ("b2", "max_budget"), "organization_tpm_limit": ("b2", "tpm_limit"),
    "organization_rpm_limit": ("b2", "rpm_limit"),
}


def _combined_view(sql: str, args: tuple) -> list[dict]:
    # The select list must be exactly the one this answer was written for: a LiteLLM release that
    # selects another column gets a loud error, not a row without it.
    selected = re.findall(r"\b(?:AS|as) (\w+)", sql.split(" FROM ", 1)[0])
    missing = set(selected) - set(_COMBINED_VIEW_COLUMNS)
    if missing:
        raise unsupported(f"the token lookup columns {sorted(missing)}")
    v = _one("LiteLLM_VerificationToken", token=args[0]) if args else None
    if v is None:
        return []
    t = _one("LiteLLM_TeamTable", team_id=v.get("team_id")) if v.get("team_id") else None
    tm = (_one("LiteLLM_TeamMembership", team_id=v.get("team_id"), user_id=v.get("user_id"))
          if v.get("team_id") and v.get("user_id") else None)
    joined = {
        "t": t,
        "tm": tm,
        "b_tm": _one("LiteLLM_BudgetTable", budget_id=tm.get("budget_id")) if tm and tm.get("budget_id") else None,
        "m": _one("LiteLLM_ModelTable", id=t.get("model_id")) if t and t.get("model_id") is not None else None,
        "b": _one("LiteLLM_BudgetTable", budget_id=v.get("budget_id")) if v.get("budget_id") else None,
        "p": _one("LiteLLM_ProjectTable", project_id=v.get("project_id")) if v.get("project_id") else None,
        "o": _one("LiteLLM_OrganizationTable", organization_id=v.get("organization_id"))
        if v.get("organization_id") else None,
    }
    joined["b2"] = (_one("LiteLLM_BudgetTable", budget_id=joined["o"].get("budget_id"))
                    if joined["o"] and joined["o"].get("budget_id") else None)
    row = dict(v)
    for column in selected:
        alias, name = _COMBINED_VIEW_COLUMNS[column]
        source = joined[alias]
        row[column] = source.get(name) if source else None
    return [_json_value(row)]


def _deprecated_lookup(sql: str, args: tuple) -> list[dict]:
    raise unsupported("raw lookups of deprecated keys")  # replaced below when LiteLLM needs it


STATEMENTS: list[tuple[re.Pattern, Callable[[str, tuple], list[dict]]]] = [
    (re.compile(r"^SELECT 1$", re.I), _select_one),
    (re.compile(r"^WITH existing_views AS \( SELECT viewname FROM pg_views WHERE schemaname = '\w+' AND viewname IN \(.*\) \) SELECT \(SELECT COUNT\(\*\) FROM existing_views\) AS view_count, ARRAY_AGG\(viewname\) AS view_names FROM existing_views$", re.I), _views),
    (re.compile(r"^SELECT to_regclass\(\$1\) IS NOT NULL AS present$", re.I), _regclass),
    (re.compile(r"^SELECT current_setting\('transaction_read_only'\) AS transaction_read_only$", re.I), _read_only),
    (re.compile(r'^SELECT v\.\*, .* FROM "LiteLLM_VerificationToken" AS v LEFT JOIN "LiteLLM_TeamTable" AS t ON v\.team_id = t\.team_id .* WHERE v\.token = \$1$', re.I | re.S), _combined_view),
]


def run(sql: str, args: tuple) -> list[dict]:
    text = _norm(sql)
    for pattern, handler in STATEMENTS:
        if pattern.match(text):
            with STORE.lock:
                return handler(text, args)
    raise unsupported(f"the raw SQL statement: {text[:600]}")
