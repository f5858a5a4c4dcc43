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
    "team_model_aliases": ("m", "model_aliases"),  # the column "aliases" (@map)
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
    # 1.106.x binds the hash as $1; 1.82.x inlines it as a quoted literal.
    literal = re.search(r"WHERE v\.token = '([0-9a-f]{64})'$", sql)
    token = literal.group(1) if literal else (args[0] if args else None)
    v = _one("LiteLLM_VerificationToken", token=token) if token else None
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


def _reltuples(sql: str, args: tuple) -> list[dict]:
    # PostgreSQL's planner estimate of a table's rows; the stand-in knows the exact count.
    table = re.search(r"oid = '\"(\w+)\"'::regclass", sql).group(1)
    if table not in schema().models:
        raise unsupported(f"reltuples of unknown table {table}")
    return [{"reltuples": len(STORE.rows(table))}]


def _deployment_count(sql: str, args: tuple) -> list[dict]:
    # access_group_model_sync.py (1.106): how many stored deployments a model name has left.
    name = args[0] if args else None
    count = sum(1 for row in STORE.rows("LiteLLM_ProxyModelTable") if row.get("model_name") == name)
    return [{"deployment_count": count}]


def _access_group_unlist(sql: str, args: tuple) -> list[dict]:
    # access_group_model_sync.py (1.106), after a model name's last deployment is deleted: drop the
    # name from every access group. Answered only when no group lists it (nothing to update).
    name = args[0] if args else None
    rows = STORE.rows("LiteLLM_AccessGroupTable") if "LiteLLM_AccessGroupTable" in schema().models else []
    if any(name in (row.get("access_model_names") or []) for row in rows):
        raise unsupported(f"removing model name {name!r} from access groups that list it")
    return []


def _heartbeat(sql: str, args: tuple) -> int:
    # Worker heartbeat upsert: insert the worker, or move its last_heartbeat_at to now.
    worker_id, hostname = args[0], args[1]
    now = dt.datetime.now(UTC)
    row = _one("LiteLLM_ProxyWorkerHeartbeat", worker_id=worker_id)
    if row is None:
        STORE.rows("LiteLLM_ProxyWorkerHeartbeat").append(
            {"worker_id": worker_id, "hostname": hostname, "started_at": now, "last_heartbeat_at": now})
    else:
        row["last_heartbeat_at"] = now
    return 1




def _heartbeat_prune(sql: str, args: tuple) -> int:
    cutoff = dt.datetime.now(UTC) - dt.timedelta(seconds=float(args[0]))
    rows = STORE.rows("LiteLLM_ProxyWorkerHeartbeat")
    stale = [r for r in rows if r["last_heartbeat_at"] < cutoff]
    for r in stale:
        rows.remove(r)
    return len(stale)


def _lock_timeout(sql: str, args: tuple) -> int:
    # The spend writer bounds its row-lock waits before it increments a key's spend and sets its
    # last_active. The store takes one lock for every statement, so there is nothing to bound.
    return 1


def _jsonb(model: str, row: dict | None, lists: tuple = ()) -> dict | None:
    # to_jsonb(row) || jsonb_build_object(<list column>, COALESCE(..., '[]')): every column, NULL
    # lists as [].
    if row is None:
        return None
    out = {f.name: row.get(f.name) for f in schema().models[model].scalar_fields()}
    for column in lists:
        if out.get(column) is None:
            out[column] = []
    return out


_PERMISSION_LISTS = ("mcp_servers", "mcp_access_groups", "mcp_toolsets", "blocked_tools", "vector_stores",
                     "agents", "agent_access_groups", "models", "search_tools", "skills")


def _permission(owner: dict | None) -> dict | None:
    if not owner or owner.get("object_permission_id") is None:
        return None
    return _jsonb("LiteLLM_ObjectPermissionTable",
                  _one("LiteLLM_ObjectPermissionTable", object_permission_id=owner["object_permission_id"]),
                  _PERMISSION_LISTS)


def _budget(owner: dict | None) -> dict | None:
    if not owner or owner.get("budget_id") is None:
        return None
    return _jsonb("LiteLLM_BudgetTable", _one("LiteLLM_BudgetTable", budget_id=owner["budget_id"]),
                  ("allowed_models",))


def _auth_prefetch(sql: str, args: tuple) -> list[dict]:
    # litellm/proxy/auth/auth_object_prefetch.py: the user, team, membership, organization and
    # project rows auth reads, as JSON objects, in one statement ($1 user, $2 team, $3 member
    # user, $4 organization, $5 project).
    user_id, team_id, member_id, org_id, project_id = (list(args) + [None] * 5)[:5]
    u = _one("LiteLLM_UserTable", user_id=user_id) if user_id is not None else None
    user_row = _jsonb("LiteLLM_UserTable", u, ("teams", "models", "allowed_cache_controls", "policies"))
    if user_row is not None:
        user_row["organization_memberships"] = [
            _jsonb("LiteLLM_OrganizationMembership", om)
            for om in STORE.rows("LiteLLM_OrganizationMembership") if om.get("user_id") == user_id]
    t = _one("LiteLLM_TeamTable", team_id=team_id) if team_id is not None else None
    team_row = _jsonb("LiteLLM_TeamTable", t, ("admins", "members", "models", "team_member_permissions",
                                                 "access_group_ids", "policies", "default_team_member_models"))
    if team_row is not None:
        m = _one("LiteLLM_ModelTable", id=t.get("model_id")) if t.get("model_id") is not None else None
        model_table = _jsonb("LiteLLM_ModelTable", m)
        # Rows here are keyed by field name: the column "aliases" is the field model_aliases
        # (@map), which is what the statement renames it to anyway.
        team_row["litellm_model_table"] = model_table
        team_row["object_permission"] = _permission(t)
    tm = (_one("LiteLLM_TeamMembership", user_id=member_id, team_id=team_id)
          if member_id is not None and team_id is not None else None)
    membership_row = _jsonb("LiteLLM_TeamMembership", tm)
    if membership_row is not None:
        membership_row["litellm_budget_table"] = _budget(tm)
    o = _one("LiteLLM_OrganizationTable", organization_id=org_id) if org_id is not None else None
    organization_row = _jsonb("LiteLLM_OrganizationTable", o, ("models",))
    if organization_row is not None:
        organization_row["litellm_budget_table"] = _budget(o)
        organization_row["object_permission"] = _permission(o)
    p = _one("LiteLLM_ProjectTable", project_id=project_id) if project_id is not None else None
    project_row = _jsonb("LiteLLM_ProjectTable", p, ("models",))
    if project_row is not None:
        project_row["litellm_budget_table"] = _budget(p)
        project_row["object_permission"] = _permission(p)
    return [_json_value({"user_row": user_row, "team_row": team_row, "membership_row": membership_row,
                         "organization_row": organization_row, "project_row": project_row})]


STATEMENTS: list[tuple[re.Pattern, Callable[[str, tuple], list[dict]]]] = [
    (re.compile(r"^SELECT 1$", re.I), _select_one),
    (re.compile(r"^WITH existing_views AS \( SELECT viewname FROM pg_views WHERE schemaname = '\w+' AND viewname IN \(.*\) \) SELECT \(SELECT COUNT\(\*\) FROM existing_views\) AS view_count, ARRAY_AGG\(viewname\) AS view_names FROM existing_views$", re.I), _views),
    (re.compile(r"^SELECT to_regclass\(\$1\) IS NOT NULL AS present$", re.I), _regclass),
    (re.compile(r"^SELECT current_setting\('transaction_read_only'\) AS transaction_read_only$", re.I), _read_only),
    (re.compile(r'^SELECT COUNT\(\*\)::int AS deployment_count FROM "LiteLLM_ProxyModelTable" WHERE "model_name" = \$1$', re.I), _deployment_count),
    (re.compile(r'^UPDATE "LiteLLM_AccessGroupTable" SET "access_model_names" = array_remove\("access_model_names", \$1\) WHERE \$1 = ANY\("access_model_names"\) RETURNING "access_group_id"$', re.I), _access_group_unlist),
    (re.compile(r"^SELECT reltuples::BIGINT FROM pg_class WHERE oid = '\"\w+\"'::regclass$", re.I), _reltuples),
    (re.compile(r'^SELECT \( SELECT to_jsonb\(u\) .* FROM "LiteLLM_UserTable" u WHERE u\.user_id = \$1 \) AS user_row, .* AS team_row, .* AS membership_row, .* AS organization_row, .* FROM "LiteLLM_ProjectTable" p WHERE p\.project_id = \$5 \) AS project_row$', re.S), _auth_prefetch),
    (re.compile(r'''^SELECT v\.\*, .* FROM "LiteLLM_VerificationToken" AS v LEFT JOIN "LiteLLM_TeamTable" AS t ON v\.team_id = t\.team_id .* WHERE v\.token = (?:\$1|'[0-9a-f]{64}')$''', re.I | re.S), _combined_view),
]


EXECUTE_STATEMENTS: list[tuple[re.Pattern, Callable[[str, tuple], int]]] = [
    (re.compile(r"^SELECT set_config\('lock_timeout', \$1::text, true\)$", re.I), _lock_timeout),
    (re.compile(r'^INSERT INTO "LiteLLM_ProxyWorkerHeartbeat" \(worker_id, hostname, last_heartbeat_at\) VALUES \(\$1, \$2, NOW\(\)\) ON CONFLICT \(worker_id\) DO UPDATE SET last_heartbeat_at = NOW\(\)$', re.I), _heartbeat),
    (re.compile(r'^DELETE FROM "LiteLLM_ProxyWorkerHeartbeat" WHERE last_heartbeat_at < NOW\(\) - make_interval\(secs => \$1\)$', re.I), _heartbeat_prune),
]


def execute(sql: str, args: tuple) -> int:
    text = _norm(sql)
    for pattern, handler in EXECUTE_STATEMENTS:
        if pattern.match(text):
            with STORE.lock:
                return handler(text, args)
    raise unsupported(f"execute_raw of: {text[:600]}")


def run(sql: str, args: tuple) -> list[dict]:
    text = _norm(sql)
    for pattern, handler in STATEMENTS:
        if pattern.match(text):
            with STORE.lock:
                return handler(text, args)
    raise unsupported(f"the raw SQL statement: {text[:600]}")
