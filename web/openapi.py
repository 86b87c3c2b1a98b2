"""The OpenAPI 3.1 document of geociv's JSON API."""

from __future__ import annotations

from typing import Any

from geociv import __version__
from geociv.store import (
    CASE_ALL_STATUSES,
    CASE_ALL_STEPS,
    CASE_KINDS,
    CASE_STEPS,
    DIVISION_CASE_ALL_STATUSES,
    DIVISION_CHANGE_KINDS,
    DIVISION_DOCUMENT_TYPES,
    DOCUMENT_TYPES,
    FACILITY_STATUSES,
    FACILITY_TYPES,
    LEVELS,
    LINE_CHANGE_TYPES,
    LINE_LEVELS,
    MARKER_CONDITIONS,
    PATROL_CONDITIONS,
    PROPOSAL_STATUSES,
    RECORD_KINDS,
    RECORD_STATUSES,
    SIDES,
    SIGN_STATUSES,
    SIGN_TYPES,
)
from web.params import ID_INT_MAX

_ERROR = {
    "description": "请求有误：error 说明原因，problems 列出每一处（行、字段、信息）",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


def _json_body(required: list[str], props: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "type": "object", "required": required, "properties": props}}}}  # fmt: skip


def _ok(description: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"description": description,
            "content": {"application/json": {"schema": schema or {"type": "object"}}}}  # fmt: skip


_NAME_FIELDS = {
    "name": {"type": "string", "description": "拟用或标准地名"},
    "category": {"type": "string", "description": "地名类别代码，如 road、village、township"},
    "division_code": {"type": "string", "description": "所属区划代码"},
    "pinyin": {"type": "string", "description": "拟用/审定拼音"},
}
_WRITE_ERRORS = {"400": _ERROR, "401": _ERROR, "403": _ERROR}

_ID_INT_MAX = ID_INT_MAX


def _names_paths() -> dict[str, Any]:
    q = {"name": "q", "in": "query", "required": True, "schema": {"type": "string"},
         "description": "汉字、拼音（可带声调或数字调）或拼音首字母"}  # fmt: skip
    return {
        "/api/names/validate": {"post": {
            "summary": "按全部规则检查一个地名（不写入）", "operationId": "validateName",
            "requestBody": _json_body(["name", "category", "division_code"], _NAME_FIELDS),
            "responses": {"200": _ok("检查结果：专名、通名、拼音、全部发现；结论 verdict："
                                     "blocked 不通过、pending 待确认、pass 通过"),
                          "400": _ERROR, "404": _ERROR}}},
        "/api/names/search": {"get": {
            "summary": "查找地名（含别名、曾用名），按匹配程度排序", "operationId": "searchNames",
            "parameters": [q,
                {"name": "within", "in": "query", "schema": {"type": "string"},
                 "description": "区划代码前缀"},
                {"name": "bbox", "in": "query", "schema": {"type": "string"},
                 "description": "地图范围 minx,miny,maxx,maxy"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20,
                 "minimum": 1, "maximum": 100}}],
            "responses": {"200": _ok("结果列表（含 bbox，可在地图上定位）"), "400": _ERROR}}},
        "/api/pinyin": {"get": {
            "summary": "按地名拼写规则生成拼音", "operationId": "pinyin",
            "parameters": [
                {"name": "name", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "category", "in": "query", "schema": {"type": "string"},
                 "description": "地名类别；不填时按通名推断"}],
            "responses": {"200": _ok("拼音、无调拼音、首字母、多音字"), "400": _ERROR}}},
        "/api/names": {"post": {
            "summary": "登记地名（地名管理员；先检查，错误须确认）", "operationId": "addName",
            "requestBody": _json_body(["name", "category", "division_code"], {
                **_NAME_FIELDS, "geometry": {"type": "object"},
                "status": {"type": "string", "enum": ["proposed", "approved", "published"]},
                "aliases": {"type": "array", "items": {"type": "string"}, "maxItems": 20},
                "accept": {"type": "object", "description": "规则编号 → 确认理由"}}),
            "responses": {"201": _ok("登记的记录与检查结果"), **_WRITE_ERRORS}}},
        "/api/names/{name_id}": {"get": {
            "summary": "一条地名记录（含曾用名）", "operationId": "getName",
            "parameters": [{"name": "name_id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "responses": {"200": _ok("GeoJSON Feature"), "404": _ERROR}}},
        "/api/names/import": {"post": {
            "summary": "批量检查地名文件（CSV/XLSX/GeoJSON/GeoPackage）",
            "operationId": "importNames",
            "parameters": [
                {"name": "format", "in": "query",
                 "schema": {"type": "string", "enum": ["json", "csv", "xlsx"]}},
                {"name": "save", "in": "query", "schema": {"type": "boolean"},
                 "description": "全部通过时登记为拟用地名（地名管理员）"}],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"200": _ok("检查报告（带行号）或报告文件"), **_WRITE_ERRORS}}},
        "/api/names/heritage": {"post": {
            "summary": "批量设置地名文化遗产级别（CSV/XLSX：名称、区划、级别、来源；全部或都不）",
            "operationId": "importHeritageLevels",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"],
                "properties": {"file": {"type": "string", "format": "binary"}}}}}},
            "responses": {"200": _ok("设置了级别的地名记录"), **_WRITE_ERRORS}}},
        "/api/names/accept": {"post": {
            "summary": "确认一条检查结果（地名管理员，须写理由）", "operationId": "acceptFinding",
            "requestBody": _json_body(["name", "rule", "reason"], {
                "name": {"type": "string"}, "rule": {"type": "string"},
                "reason": {"type": "string"}}),
            "responses": {"200": _ok("已确认"), **_WRITE_ERRORS}}},
        "/api/names/readings": {"post": {
            "summary": "添加特殊读音（地名管理员）", "operationId": "addReading",
            "requestBody": _json_body(["word", "pinyin"], {
                "word": {"type": "string"}, "pinyin": {"type": "string",
                "description": "数字标调，空格分隔，如 bi4 yang2"}, "note": {"type": "string"}}),
            "responses": {"200": _ok("已添加"), **_WRITE_ERRORS}}},
        "/api/names/terms": {"post": {
            "summary": "向人名/领导人/外国地名/商标名单添加词条（地名管理员）",
            "operationId": "addTerm",
            "requestBody": _json_body(["list", "term"], {
                "list": {"type": "string", "enum": ["person", "leader", "foreign", "brand"]},
                "term": {"type": "string"}, "note": {"type": "string"}}),
            "responses": {"200": _ok("已添加"), **_WRITE_ERRORS}}},
    }  # fmt: skip


_READ_ERRORS = {"400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR}
_STEP_ERRORS = {**_WRITE_ERRORS, "404": _ERROR}
_DATE = {
    "type": "string",
    "format": "date",
    "description": "日期 YYYY-MM-DD（默认今天；不得晚于今天）",
}


def _path_param(name: str, description: str, example: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"},
            "description": description, "example": example}  # fmt: skip


def _cases_paths() -> dict[str, Any]:
    case_id = _path_param("case_id", "案件编号", "C2026-0001")
    case_ok = {"description": "案件（含各步骤、附件、下一步）", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Case"}}}}  # fmt: skip
    return {
        "/api/cases": {
            "get": {
                "summary": "命名更名案件列表（需登录）", "operationId": "listCases",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string",
                     "enum": list(CASE_ALL_STATUSES)},
                     "description": "状态；withdrawn 已撤回、rejected 不予批准为办结未生效"},
                    {"name": "kind", "in": "query", "schema": {"type": "string",
                     "enum": list(CASE_KINDS)}},
                    {"name": "name_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "division", "in": "query", "schema": {"type": "string"},
                     "description": "所属区划代码前缀"}],
                "responses": {"200": _ok("{cases: [...]}"), "400": _ERROR, "401": _ERROR}},
            "post": {
                "summary": "申请命名或更名（地名管理员；需 X-CSRFToken）",
                "operationId": "applyCase",
                "requestBody": _json_body(["kind", "proposed_name", "location", "applicant"], {
                    "kind": {"type": "string", "enum": list(CASE_KINDS)},
                    "proposed_name": {"type": "string", "description": "拟用名称"},
                    "category": {"type": "string", "description": "地名类别（命名必填）"},
                    "division_code": {"type": "string", "description": "所属区划代码（命名必填）"},
                    "name_id": {"type": "string", "description": "被更名的地名记录（更名必填）"},
                    "location": {"type": "string", "description": "位置描述"},
                    "applicant": {"type": "string", "description": "申请人"},
                    "pinyin": {"type": "string", "description": "审定拼音（可选）"},
                    "reason": {"type": "string", "description": "理由"},
                    "date": _DATE, "note": {"type": "string"}}),
                "responses": {"201": case_ok, **_WRITE_ERRORS}}},
        "/api/cases/overdue": {"get": {
            "summary": "批准后超过 15 天未备案或公告的案件（N7-OVERDUE）",
            "operationId": "overdueCases",
            "parameters": [{"name": "today", "in": "query", "schema": {"type": "string",
                            "format": "date"}, "description": "计算到哪一天（默认今天）"}],
            "responses": {"200": _ok("{today, overdue: [{case_id, step, approved_on, done_on, "
                                     "days, finding}]}"), "400": _ERROR, "401": _ERROR}}},
        "/api/cases/{case_id}": {"get": {
            "summary": "一个案件", "operationId": "getCase", "parameters": [case_id],
            "responses": {"200": case_ok, "401": _ERROR, "404": _ERROR}}},
        "/api/cases/{case_id}/documents": {"post": {
            "summary": "上传案件附件（地名管理员）", "operationId": "attachDocument",
            "parameters": [case_id],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file", "doc_type"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "doc_type": {"type": "string", "enum": list(DOCUMENT_TYPES),
                                 "description": "综合评估报告 assessment、专家论证报告 "
                                 "expert、征求意见报告 consultation、保护措施 protection、"
                                 "批复文件 approval、其他材料 other（也可用中文名）"},
                    "note": {"type": "string"}}}}}},
            "responses": {"201": _ok("附件信息（不含内容）与下载地址"), **_STEP_ERRORS}}},
        "/api/cases/{case_id}/documents/{document_id}": {"get": {
            "summary": "下载案件附件", "operationId": "getDocument",
            "parameters": [case_id, {"name": "document_id", "in": "path", "required": True,
                                     "schema": {"type": "integer", "minimum": 1,
                                                "maximum": _ID_INT_MAX}}],
            "responses": {"200": {"description": "附件文件", "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}},
                "401": _ERROR, "404": _ERROR}}},
        "/api/cases/{case_id}/{step}": {"post": {
            "summary": "办理下一步：审核、批准、备案、公告、生效（地名管理员）",
            "operationId": "advanceCase",
            "parameters": [case_id, {"name": "step", "in": "path", "required": True,
                "schema": {"type": "string", "enum": list(CASE_STEPS[1:])}}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "date": _DATE, "note": {"type": "string"},
                    "approving_body": {"type": "string", "description": "审批机关（批准时必填）"},
                    "filed_with": {"type": "string", "description": "备案机关（备案时必填）"},
                    "accept": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "审核时确认的检查结果：规则编号 → 理由"}}}}}},
            "responses": {"200": case_ok, **_STEP_ERRORS}}},
        **{f"/api/cases/{{case_id}}/{step}": {"post": {
            "summary": summary, "description": (
                "仅限批准前（已申请、已审核）的案件；办结后不能再办理任何步骤，地名库不变"
                "（命名不登记地名，更名时原名照旧）。理由必填，缺少时 400，字段 reason；"
                "已批准或已办结的案件 400，字段 status。"),
            "operationId": operation, "parameters": [case_id],
            "requestBody": _json_body(["reason"], {
                "reason": {"type": "string", "description": f"{label}理由（必填）"},
                "date": _DATE, "note": {"type": "string"},
                **({"approving_body": {"type": "string", "description": "作出决定的机关（选填）"}}
                   if step == "reject" else {})}),
            "responses": {"200": case_ok, **_STEP_ERRORS}}}
          for step, label, summary, operation in (
              ("withdraw", "撤回", "撤回申请：案件办结为“已撤回”（地名管理员）", "withdrawCase"),
              ("reject", "不予批准", "不予批准：审核或批准环节驳回，案件办结（地名管理员）",
               "rejectCase"))},
        "/api/cases/{case_id}/notice": {"get": {
            "summary": "公告（批准后）：字段，或 format=html 可打印页面",
            "operationId": "caseNotice",
            "parameters": [case_id,
                {"name": "format", "in": "query", "schema": {"type": "string",
                 "enum": ["json", "html"], "default": "json"}},
                {"name": "date", "in": "query", "schema": {"type": "string", "format": "date"},
                 "description": "未公告时的公告日期（默认今天）"}],
            "responses": {"200": {"description": "公告字段或 A4 公告页面", "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/html": {"schema": {"type": "string"}}}}, **_READ_ERRORS}}},
    }  # fmt: skip


def _change_list_file(what: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string", "format": "binary"},
            "description": f"{what}（CSV 或 XLSX，UTF-8 或 GBK；国家统计局列或 "
                           "code,name[,parent]；可上传多份，同一期合并）"}  # fmt: skip


def _division_changes_paths() -> dict[str, Any]:
    base = "/api/division-changes"
    pid = _path_param("proposal_id", "变更建议编号", "P000001")
    case_id = _path_param("case_id", "变更案件编号", "D2019-0001")
    case_ok = _ok("变更案件（含变更前后、各步骤、下一步、材料）")
    division = {"name": "division", "in": "query", "schema": {"type": "string",
                "pattern": "^[0-9]{2,12}$"}, "description": "只列出该区划（县或市）内的"}
    def status(values: tuple[str, ...]) -> dict[str, Any]:
        return {"name": "status", "in": "query", "schema": {"type": "string",
                "enum": list(values)}}
    return {
        f"{base}/proposals": {
            "get": {"summary": "区划变更建议列表（需登录）", "operationId": "listChangeProposals",
                    "parameters": [status(PROPOSAL_STATUSES), division],
                    "responses": {"200": _ok("{proposals: [...]}"), **_READ_ERRORS}},
            "post": {
                "summary": "比较两期官方区划代码名单，保存变更建议待审核"
                           "（地名管理员；需 X-CSRFToken）",
                "description": "名单有误时 400，problems 逐条指出文件、行与字段，不保存任何建议。",
                "operationId": "proposeChanges",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["from", "to", "parent"], "properties": {
                        "from": _change_list_file("旧名单"), "to": _change_list_file("新名单"),
                        "villages_from": _change_list_file("旧的村级名单"),
                        "villages_to": _change_list_file("新的村级名单"),
                        "parent": {"type": "string",
                                   "description": "只比较该区划以下的单位，如 411700"},
                        "batch": {"type": "string", "description": "这批建议的名称"}}}}}},
                "responses": {"201": _ok("{batch, proposed, new, proposals: [新保存的建议]}"),
                              **_WRITE_ERRORS}}},
        f"{base}/proposals/{{proposal_id}}/accept": {"post": {
            "summary": "接受变更建议：按建议立案（地名管理员）",
            "operationId": "acceptChangeProposal",
            "parameters": [pid],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"date": _DATE, "title": {"type": "string"}}}}}},
            "responses": {"201": case_ok, **_STEP_ERRORS}}},
        f"{base}/proposals/{{proposal_id}}/dismiss": {"post": {
            "summary": "驳回变更建议（地名管理员；须写理由）",
            "operationId": "dismissChangeProposal",
            "parameters": [pid],
            "requestBody": _json_body(["reason"], {"reason": {"type": "string"}}),
            "responses": {"200": _ok("已驳回的建议"), **_STEP_ERRORS}}},
        f"{base}/cases": {
            "get": {"summary": "区划变更案件列表（需登录）", "operationId": "listChangeCases",
                    "parameters": [status(DIVISION_CASE_ALL_STATUSES), division],
                    "responses": {"200": _ok("{cases: [...]}"), **_READ_ERRORS}},
            "post": {
                "summary": "申请区划变更案件（地名管理员）", "operationId": "applyChangeCase",
                "requestBody": _json_body(["kind", "title"], {
                    "kind": {"type": "string", "enum": list(DIVISION_CHANGE_KINDS)},
                    "title": {"type": "string"},
                    "before": {"type": "array", "items": {"type": "object"},
                               "description": "变更前的单位 {code, name, level, parent_code}"},
                    "after": {"type": "array", "items": {"type": "object"},
                              "description": "变更后的单位"},
                    "villages": {"type": "array", "items": {"type": "object"}, "description":
                                 "调整的村（居）{old_code, old_name, new_code, new_name}"},
                    "division_code": {"type": "string"}, "seat": {"type": "string"},
                    "date": _DATE, "note": {"type": "string"}}),
                "responses": {"201": case_ok, **_WRITE_ERRORS}}},
        f"{base}/cases/{{case_id}}": {"get": {
            "summary": "一个区划变更案件", "operationId": "getChangeCase", "parameters": [case_id],
            "responses": {"200": case_ok, **_READ_ERRORS}}},
        f"{base}/cases/{{case_id}}/documents": {"post": {
            "summary": "上传变更案件材料（地名管理员）", "operationId": "attachChangeDocument",
            "parameters": [case_id],
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file", "doc_type"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "doc_type": {"type": "string", "enum": list(DIVISION_DOCUMENT_TYPES),
                                 "description":
                                     "批复 approval、请示 request、示意图 map、其他 other"},
                    "note": {"type": "string"}}}}}},
            "responses": {"201": _ok("材料信息（不含内容）"), **_STEP_ERRORS}}},
        f"{base}/cases/{{case_id}}/{{step}}": {"post": {
            "summary": "办理变更案件：审核、批准、生效，或批准前撤回、不予批准（地名管理员）",
            "operationId": "advanceChangeCase",
            "parameters": [case_id, {"name": "step", "in": "path", "required": True,
                "schema": {"type": "string",
                           "enum": ["review", "approve", "effective", "withdraw", "reject"]}}],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "date": _DATE,
                    "pinyin": {"type": "object", "additionalProperties": {"type": "string"},
                               "description": "审核：区划代码 → 新标准名称的审定拼音"},
                    "approving_body": {"type": "string", "description": "批准：审批机关"},
                    "approval_number": {"type": "string", "description": "批准：文号"},
                    "reason": {"type": "string", "description": "撤回、不予批准：理由"}}}}}},
            "responses": {"200": case_ok, **_STEP_ERRORS}}},
        f"{base}/surveys": {"get": {
            "summary": "区划变更后的勘界任务（需登录）", "operationId": "listSurveyTasks",
            "parameters": [
                {"name": "overdue", "in": "query", "schema": {"type": "boolean"},
                 "description": "只列出逾期未完成的"},
                {"name": "open", "in": "query", "schema": {"type": "boolean"},
                 "description": "只列出未完成的"}],
            "responses": {"200": _ok("{today, surveys: [{task_id, due, overdue, …}]}"),
                          **_READ_ERRORS}}},
        f"{base}/surveys/{{task_id}}/done": {"post": {
            "summary": "记录勘界任务完成（地名管理员或界线巡查员）",
            "operationId": "finishSurveyTask",
            "parameters": [_path_param("task_id", "勘界任务编号", "K2020-0001")],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {"date": _DATE, "note": {"type": "string"}}}}}},
            "responses": {"200": _ok("已完成的勘界任务"), **_STEP_ERRORS}}},
    }  # fmt: skip


def _signs_paths() -> dict[str, Any]:
    sign_id = _path_param("sign_id", "标志编号", "S000001")
    feature = {"description": "GeoJSON Feature（EPSG:4490），含检查结果", "content": {
        "application/geo+json": {"schema": {"$ref": "#/components/schemas/Sign"}}}}  # fmt: skip
    return {
        "/api/signs": {
            "get": {
                "summary": "地名标志（GeoJSON FeatureCollection，含检查结果；需登录）",
                "operationId": "listSigns",
                "parameters": [
                    {"name": "status", "in": "query", "schema": {"type": "string",
                     "enum": list(SIGN_STATUSES)}},
                    {"name": "name_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "include_removed", "in": "query",
                     "schema": {"type": "boolean", "default": True}}],
                "responses": {"200": {"description": "FeatureCollection", "content": {
                    "application/geo+json": {"schema": {"type": "object", "properties": {
                        "type": {"const": "FeatureCollection"}, "features": {"type": "array",
                        "items": {"$ref": "#/components/schemas/Sign"}}}}}}},
                    "400": _ERROR, "401": _ERROR}},
            "post": {
                "summary": "登记地名标志（地名管理员）", "operationId": "registerSign",
                "requestBody": _json_body(["name_id", "sign_type", "text", "lon", "lat"], {
                    "name_id": {"type": "string", "description": "所示地名记录"},
                    "sign_type": {"type": "string", "enum": list(SIGN_TYPES)},
                    "text": {"type": "string", "description": "标志实际所示汉字"},
                    "pinyin": {"type": "string", "description": "标志实际所示拼音"},
                    "lon": {"type": "number", "minimum": -180, "maximum": 180,
                            "description": "经度（CGCS2000）"},
                    "lat": {"type": "number", "minimum": -90, "maximum": 90,
                            "description": "纬度（CGCS2000）"},
                    "installed_on": {"type": "string", "format": "date"},
                    "installer": {"type": "string"}, "remarks": {"type": "string"},
                    "sign_id": {"type": "string", "description": "标志编号（不给出时自动编号）"},
                    "status": {"type": "string", "enum": list(SIGN_STATUSES)}}),
                "responses": {"201": {**feature, "description": "登记的标志；坐标不在中国境内或"
                    "经纬度颠倒时 400，字段 location"}, **_WRITE_ERRORS}}},
        "/api/signs/findings": {"get": {
            "summary": "标志检查结果：汉字、拼音不符，超期未巡检（规则 8）",
            "operationId": "signFindings",
            "parameters": [
                {"name": "today", "in": "query", "schema": {"type": "string", "format": "date"}},
                {"name": "patrol_days", "in": "query",
                 "schema": {"type": "integer", "minimum": 0, "maximum": 3650, "default": 365}}],
            "responses": {"200": _ok("{today, patrol_days, count, findings: [...]}"),
                          "400": _ERROR, "401": _ERROR}}},
        "/api/signs/{sign_id}": {"get": {
            "summary": "一块标志（含检查结果与巡检记录）", "operationId": "getSign",
            "parameters": [sign_id], "responses": {"200": feature, "401": _ERROR, "404": _ERROR}}},
        "/api/signs/{sign_id}/patrols": {"post": {
            "summary": "记录巡检（地名管理员；JSON 或带照片的 multipart）",
            "operationId": "patrolSign",
            "parameters": [sign_id],
            "requestBody": {"required": True, "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/PatrolInput"}},
                "multipart/form-data": {"schema": {"allOf": [
                    {"$ref": "#/components/schemas/PatrolInput"},
                    {"type": "object", "properties": {
                        "photo": {"type": "string", "format": "binary"}}}]}}}},
            "responses": {"201": _ok("巡检记录（不含照片内容）"), **_STEP_ERRORS}}},
        "/api/signs/{sign_id}/status": {"post": {
            "summary": "更改标志状态（在用、损坏、已拆除；不删除）", "operationId": "setSignStatus",
            "parameters": [sign_id],
            "requestBody": _json_body(["status"], {
                "status": {"type": "string", "enum": list(SIGN_STATUSES)},
                "remarks": {"type": "string"}}),
            "responses": {"200": feature, **_STEP_ERRORS}}},
    }  # fmt: skip


def _coverage_paths() -> dict[str, Any]:
    run_id = _path_param("run_id", "覆盖计算记录编号", "R000001")
    suggestion_id = _path_param("suggestion_id", "选址建议记录编号", "R000002")
    suggestion_q = {
        "name": "suggestion",
        "in": "query",
        "schema": {"type": "string"},
        "description": "同时导出该选址建议（须为本服务近期计算的建议）",
    }
    job_ok = {
        "description": "已开始计算：{job_id, state}；用 /api/coverage/jobs/{job_id} 查询进度",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"job_id": {"type": "string"}, "state": {"type": "string"}},
                }
            }
        },
    }

    def download(kind: str, summary: str, op: str, params: list[Any]) -> dict[str, Any]:
        return {
            "get": {
                "summary": summary,
                "operationId": op,
                "parameters": params,
                "responses": {
                    "200": {
                        "description": "文件下载",
                        "content": {kind: {"schema": {"type": "string", "format": "binary"}}},
                    },
                    **_READ_ERRORS,
                },
            }
        }

    def upload(summary: str, op: str, props: dict[str, Any], ok: dict[str, Any]) -> dict[str, Any]:
        return {
            "post": {
                "summary": summary,
                "operationId": op,
                "requestBody": {
                    "required": True,
                    "content": {
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "required": ["file"],
                                "properties": {
                                    "file": {"type": "string", "format": "binary"},
                                    **props,
                                },
                            }
                        }
                    },
                },
                "responses": {**ok, **_WRITE_ERRORS},
            }
        }

    run_input = {
        "types": {
            "type": "array",
            "items": {"type": "string", "enum": list(FACILITY_TYPES)},
            "maxItems": 20,
            "description": "设施类型代码或中文名称",
        },
        "aoi": {
            "type": ["object", "string"],
            "description": (
                "统计范围：{zone_set: 统计范围编号} 或 {division: 区划代码}；"
                "也可直接写区划代码或统计范围编号（ZS 开头）"
            ),
            "properties": {"zone_set": {"type": "string"}, "division": {"type": "string"}},
        },
        "minutes": {"type": "number", "default": 15, "minimum": 1, "maximum": 120},
        "rings": {
            "type": "array",
            "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 120},
            "maxItems": 10,
            "default": [5, 10],
            "description": "同时绘制的内圈（分钟）",
        },
        "speed": {
            "type": ["string", "number"],
            "description": "速度预设 elderly 0.8、design 1.0、adult 1.2、ebike 4.2、"
            "car 8.3 m/s，或以 m/s 表示的数字",
            "default": "elderly",
        },
        "statuses": {
            "type": "array",
            "items": {"type": "string", "enum": list(FACILITY_STATUSES)},
            "maxItems": 10,
            "default": ["existing"],
        },
        "network_id": {"type": ["string", "null"], "description": "路网编号；缺省为直线距离估算"},
        "raster_id": {"type": ["string", "null"], "description": "人口栅格编号"},
        "other_raster_ids": {
            "type": "array",
            "items": {"type": "string"},
            "maxItems": 20,
            "description": "另外统计的人口栅格（如总人口）",
        },
        "zones_id": {"type": ["string", "null"], "description": "统计单元（街道/社区）编号"},
        "detour": {"type": "number", "default": 1.3, "minimum": 1, "maximum": 3,
                   "description": "直线估算的绕行系数"},
        "access_m": {"type": "number", "default": 50, "minimum": 0, "maximum": 500,
                     "description": "路网法的步行接入距离（米）"},
    }
    suggest_input = {
        "run_id": {"type": "string", "description": "作为基础的覆盖计算记录"},
        "k": {"type": ["integer", "null"], "minimum": 1, "maximum": 500,
              "description": "新增站点数（最大覆盖）"},
        "target_share": {"type": ["number", "null"], "minimum": 0.01, "maximum": 1,
                         "description": "目标覆盖率 0–1（最少站点）"},
        "objective": {"type": "string", "enum": ["area", "population"], "default": "area"},
        "candidates": {
            "type": "string",
            "enum": ["generated", "stored"],
            "default": "generated",
            "description": "generated：范围内网格候选点；stored：状态为候选的设施",
        },
        "method": {"type": "string", "enum": ["auto", "greedy", "exact"], "default": "auto"},
        "spacing_m": {"type": "number", "default": 300, "minimum": 50, "maximum": 5000,
                      "description": "生成候选点的间距（米）"},
    }
    return {
        "/api/coverage/options": {"get": {
            "summary": "可选项：设施类型（含数量）、状态、速度预设、坐标系、统计范围、路网、"
                       "人口栅格、统计单元",
            "operationId": "coverageOptions", "responses": {"200": _ok("选项"), "401": _ERROR}}},
        "/api/coverage/facilities": {"get": {
            "summary": "养老服务设施与辅具租赁站点（GeoJSON，EPSG:4490）",
            "operationId": "listFacilities",
            "parameters": [{"name": "type", "in": "query", "schema": {"type": "string"},
                            "description": "设施类型代码或中文名称，可重复"}],
            "responses": {"200": _ok("FeatureCollection"), "400": _ERROR, "401": _ERROR}}},
        "/api/coverage/facilities/import": upload(
            "导入设施（CSV/XLSX/GeoJSON/GeoPackage；表格须声明坐标系；默认全部通过才写入，"
            "skip_invalid 则只导入无误的行并返回被拒行及原因；规划人员）", "importFacilities",
            {"crs": {"type": "string", "enum": ["CGCS2000", "WGS84", "GCJ02", "BD09"]},
             "default_type": {"type": "string"}, "default_status": {"type": "string"},
             "source": {"type": "string"},
             "within": {"type": "boolean", "default": True,
                        "description": "设施须位于本辖区内（0 则不检查）"},
             "network_id": {"type": "string", "description": "与该路网比对，识别误声明的 "
                            "GCJ-02/BD-09 坐标"},
             "skip_invalid": {"type": "boolean", "default": False,
                              "description": "只导入无误的行；被拒行连同原因返回"
                              "（rejected_csv：原有各列加“原因”列的 CSV，UTF-8 带 BOM，base64）"}},
            {"201": _ok("{added, by_type, ids[, skipped, rejected, rejected_filename, "
                        "rejected_csv]}")}),
        "/api/coverage/networks": upload(
            "导入路网（OSM PBF 按步行标签取路，或道路线图层；后台计算；规划人员）",
            "importNetwork", {"name": {"type": "string"}}, {"202": job_ok}),
        "/api/coverage/networks/{network_id}/edges": {"get": {
            "summary": "路网路段（GeoJSON，可按 bbox 截取），用于在地图上显示",
            "operationId": "networkEdges",
            "parameters": [_path_param("network_id", "路网编号", "RN0001"),
                           {"name": "bbox", "in": "query", "schema": {"type": "string"},
                            "description": "minlon,minlat,maxlon,maxlat（有限数值，依次增大，"
                            "最多 2500 平方度）"}],
            "responses": {"200": _ok("FeatureCollection"), **_READ_ERRORS}}},
        "/api/coverage/networks/{network_id}/snap": {"get": {
            "summary": "设施到路网的吸附距离与连通情况", "operationId": "snapFacilities",
            "parameters": [_path_param("network_id", "路网编号", "RN0001"),
                           {"name": "type", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _ok("{network_id, facilities: [...], far}"), **_READ_ERRORS}}},
        "/api/coverage/rasters": upload(
            "导入人口栅格（GeoTIFF，须有坐标系；规划人员）", "importRaster",
            {"label": {"type": "string", "description": "如 60岁以上人口"}},
            {"201": _ok("栅格信息")}),
        "/api/coverage/zones": upload(
            "导入统计单元或统计范围（GeoJSON/GeoPackage/Shapefile 面；规划人员）",
            "importZones",
            {"name": {"type": "string"}, "kind": {"type": "string",
             "enum": ["aoi", "subdistrict", "community", "other"]},
             "name_field": {"type": "string"}, "code_field": {"type": "string"}},
            {"201": _ok("统计单元集信息")}),
        "/api/coverage/runs": {
            "get": {"summary": "计算记录（最新在前）", "operationId": "listCoverageRuns",
                    "parameters": [{"name": "kind", "in": "query", "schema": {
                        "type": "string", "enum": ["coverage", "suggestion"]}}],
                    "responses": {"200": _ok("{runs: [...]}"), "401": _ERROR}},
            "post": {"summary": "开始一次覆盖计算（规划人员；后台计算，返回任务编号）",
                     "operationId": "startCoverageRun",
                     "requestBody": _json_body(["types", "aoi"], run_input),
                     "responses": {"202": job_ok, **_WRITE_ERRORS}}},
        "/api/coverage/runs/{run_id}": {"get": {
            "summary": "一次覆盖计算：指标、输入、服务圈、未覆盖区域、分单元表（GeoJSON）",
            "operationId": "getCoverageRun", "parameters": [run_id],
            "responses": {"200": _ok("{run_id, summary, method, minutes, speed_mps, inputs, "
                                     "aoi, isochrones, uncovered, zones}"), **_READ_ERRORS}}},
        "/api/coverage/runs/{run_id}/map.html": download(
            "text/html", "导出独立 HTML 地图（离线可打开）", "exportCoverageMap",
            [run_id, suggestion_q]),
        "/api/coverage/runs/{run_id}/export.gpkg": download(
            "application/geopackage+sqlite3", "导出结果 GeoPackage（设施、服务圈、未覆盖、"
            "统计单元、建议新址、计算信息）", "exportCoverageGpkg", [run_id, suggestion_q]),
        "/api/coverage/runs/{run_id}/zones.csv": download(
            "text/csv", "导出分单元覆盖表 CSV", "exportCoverageZones", [run_id]),
        "/api/coverage/runs/{run_id}/summary.csv": download(
            "text/csv", "导出覆盖指标 CSV", "exportCoverageSummary", [run_id, suggestion_q]),
        "/api/coverage/batches": {"post": {
            "summary": "全辖区汇总：逐个区县（或 level 指定的层级）计算覆盖，Dask 并行（规划人员；"
                       "后台计算）", "operationId": "startBatch",
            "requestBody": _json_body(["types"], {
                **{k: v for k, v in run_input.items() if k not in ("aoi", "zones_id", "rings")},
                "parent": {"type": "string", "description": "上级区划代码（缺省为本辖区）"},
                "level": {"type": "string", "default": "county"}}),
            "responses": {"202": job_ok, **_WRITE_ERRORS}}},
        "/api/coverage/batches/{run_id}": {"get": {
            "summary": "一次全辖区汇总：标题、总体指标、各区划覆盖率（GeoJSON）",
            "operationId": "getBatch", "parameters": [run_id],
            "responses": {"200": _ok("{run_id, summary, divisions}"), **_READ_ERRORS}}},
        "/api/coverage/suggestions": {"post": {
            "summary": "新址建议：k 处新站点覆盖最大，或达到目标覆盖率的最少站点（规划人员；"
                       "后台计算）", "operationId": "startSuggestion",
            "requestBody": _json_body(["run_id"], suggest_input),
            "responses": {"202": job_ok, **_WRITE_ERRORS}}},
        "/api/coverage/suggestions/{suggestion_id}": {"get": {
            "summary": "一次新址建议：站点（GeoJSON）、其服务圈、前后覆盖率、可行性判断",
            "operationId": "getSuggestion", "parameters": [suggestion_id],
            "responses": {"200": _ok("建议"), **_READ_ERRORS}}},
        "/api/coverage/suggestions/{suggestion_id}/what-if": {"post": {
            "summary": "假如增加/撤销站点，覆盖率如何变化（使用缓存的逐站覆盖，1 秒内）",
            "operationId": "suggestionWhatIf", "parameters": [suggestion_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "add": {"type": "array", "items": {"type": "string"}, "maxItems": 500},
                    "remove": {"type": "array", "items": {"type": "string"},
                               "maxItems": 500}}}}}},
            "responses": {"200": _ok("{before, after, share_before, share_after, delta}"),
                          **_READ_ERRORS}}},
        "/api/coverage/jobs/{job_id}": {"get": {
            "summary": "后台计算任务的进度（progress 0–1、当前步骤、结果或错误）",
            "operationId": "getJob", "parameters": [_path_param("job_id", "任务编号", "a1b2c3")],
            "responses": {"200": _ok("{job_id, state, progress, message, result, error}"),
                          "401": _ERROR, "404": _ERROR}}},
    }  # fmt: skip


def _boundaries_paths() -> dict[str, Any]:
    record_id = _path_param("record_id", "联检记录编号", "I2026-0001")
    parent = {
        "name": "parent",
        "in": "query",
        "schema": {"type": "string"},
        "description": "只含一侧在该区划内的界线（区划代码）",
        "example": "411700",
    }
    record_ok = {
        "description": "联检记录（含双方签字、全部版本、照片）",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/InspectionRecord"}}
        },
    }
    map_box = {
        "name": "bbox",
        "in": "query",
        "schema": {"type": "string"},
        "description": "地图范围 minlon,minlat,maxlon,maxlat：只含与其相交的（按空间索引）",
        "example": "114.0,32.9,114.3,33.2",
    }
    geojson = {
        "description": "GeoJSON FeatureCollection（EPSG:4490）",
        "content": {"application/geo+json": {"schema": {"type": "object"}}},
    }
    report_format = {
        "name": "format",
        "in": "query",
        "schema": {"type": "string", "enum": ["json", "html", "docx"], "default": "json"},
        "description": "json：报告数据；html：可打印页面；docx：Word 文档",
    }
    report_ok = {
        "description": "报告（InspectionReport.to_dict()）、可打印页面或 Word 文档",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "text/html": {"schema": {"type": "string"}},
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {
                "schema": {"type": "string", "format": "binary"}
            },
        },
    }
    record_input = {
        "kind": {
            "type": "string",
            "enum": list(RECORD_KINDS),
            "description": "marker 界桩检查（给出 marker_id 时默认）或 line 界线检查",
        },
        "plan_id": {"type": "integer", "minimum": 1, "maximum": _ID_INT_MAX,
                    "description": "联检计划编号"},
        "marker_id": {"type": "string", "description": "界桩编号，如 411721-411722-001Q"},
        "inspected_on": {
            "type": "string",
            "format": "date",
            "description": "检查日期（默认今天；须在计划所属轮次内）",
        },
        "lon": {"type": "number", "minimum": -180, "maximum": 180,
                "description": "实测经度（CGCS2000；界桩丢失时可不填）"},
        "lat": {"type": "number", "minimum": -90, "maximum": 90, "description": "实测纬度"},
        "crs": {
            "type": "string",
            "description": "经纬度的坐标系（默认 CGCS2000；可为 WGS84、GCJ02、BD09、EPSG 代码）",
        },
        "gps_accuracy_m": {"type": "number", "minimum": 0, "maximum": 100000,
                           "description": "GPS 精度（米）"},
        "condition": {
            "type": "string",
            "enum": list(MARKER_CONDITIONS),
            "description": "完好、损坏、丢失、移位、掩埋、字迹不清（代码或中文）",
        },
        "references_present": {
            "oneOf": [{"type": "integer", "minimum": 0, "maximum": 100},
                      {"type": "array", "items": {"type": "boolean"}, "maxItems": 100}],
            "description": "现存方位物个数，或按登记顺序逐个有无",
        },
        "changes": {
            "type": "array",
            "description": "界线检查：沿线变化",
            "maxItems": 100,
            "items": {
                "type": "object",
                "properties": {
                    "change_type": {"type": "string", "enum": list(LINE_CHANGE_TYPES)},
                    "description": {"type": "string"},
                },
            },
        },
        "remarks": {"type": "string"},
        "sign": {"type": "boolean", "description": "同时以本人所属一方签字"},
    }
    return {
        "/api/boundaries/lines": {"get": {
            "summary": "行政区域界线（GeoJSON；属性含 name、section、length_km、level、"
                       "internal、left、right 两侧区划代码、sample）",
            "operationId": "listBoundaryLines",
            "parameters": [parent, {"name": "level", "in": "query", "schema": {
                "type": "string", "enum": list(LINE_LEVELS)}}, map_box],
            "responses": {"200": {"description": "FeatureCollection", "content": {
                "application/geo+json": {"schema": {"type": "object", "properties": {
                    "type": {"const": "FeatureCollection"}, "features": {"type": "array",
                    "items": {"$ref": "#/components/schemas/BoundaryLine"}}}}}}},
                "400": _ERROR, "401": _ERROR}}},
        "/api/boundaries/lines/{line_id}": {"get": {
            "summary": "一条界线：现行（或最后）版本、全部版本、界桩及其最近检查",
            "operationId": "getBoundaryLine",
            "parameters": [_path_param("line_id", "界线编号", "411721-411722")],
            "responses": {"200": {"description": "GeoJSON Feature", "content": {
                "application/geo+json": {"schema": {
                    "$ref": "#/components/schemas/BoundaryLine"}}}},
                "401": _ERROR, "404": _ERROR}}},
        "/api/boundaries/markers": {"get": {
            "summary": "界桩（GeoJSON，含最近一次检查）", "operationId": "listMarkers",
            "parameters": [parent,
                {"name": "line_id", "in": "query", "schema": {"type": "string"}},
                {"name": "include_retired", "in": "query",
                 "schema": {"type": "boolean", "default": False}}, map_box],
            "responses": {"200": geojson, "400": _ERROR, "401": _ERROR}}},
        "/api/boundaries/markers/import": {"post": {
            "summary": "导入界桩登记表（CSV UTF-8/GBK 或 XLSX；全部通过才写入；界线联检人员）",
            "operationId": "importMarkers",
            "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "crs": {"type": "string", "description": "坐标系（默认 CGCS2000）"},
                    "sample": {"type": "boolean", "description": "标为示例数据"}}}}}},
            "responses": {"201": _ok("{imported, markers: [编号]}"), **_WRITE_ERRORS}}},
        "/api/boundaries/findings": {"get": {
            "summary": "发现问题：移位、偏离界线、丢失、损坏、方位物缺失、不成套（GeoJSON）",
            "operationId": "boundaryFindings",
            "parameters": [parent,
                {"name": "line_id", "in": "query", "schema": {"type": "string"}},
                {"name": "round", "in": "query", "schema": {"type": "integer", "minimum": 1,
                 "maximum": 999},
                 "description": "只按该轮次的检查判断"}],
            "responses": {"200": geojson, "400": _ERROR, "401": _ERROR}}},
        "/api/boundaries/records": {
            "get": {
                "summary": "联检记录（最新版本）", "operationId": "listInspectionRecords",
                "parameters": [
                    {"name": "line_id", "in": "query", "schema": {"type": "string"}},
                    {"name": "plan_id", "in": "query", "schema": {"type": "integer",
                     "minimum": 1, "maximum": _ID_INT_MAX}},
                    {"name": "status", "in": "query", "schema": {"type": "string",
                     "enum": list(RECORD_STATUSES)}},
                    {"name": "pending", "in": "query", "schema": {"type": "boolean"},
                     "description": "只列出等待本人所属一方签字的记录"}],
                "responses": {"200": _ok("{records: [...]}"), "400": _ERROR, "401": _ERROR}},
            "post": {
                "summary": "录入界桩检查或界线检查（界线联检人员；JSON，或带 photo 的 "
                           "multipart）",
                "operationId": "addInspectionRecord",
                "requestBody": {"required": True, "content": {
                    "application/json": {"schema": {"type": "object",
                                                    "required": ["plan_id"],
                                                    "properties": record_input}},
                    "multipart/form-data": {"schema": {"type": "object",
                        "required": ["plan_id"], "properties": {
                            **record_input, "photo": {"type": "string", "format": "binary"}}}}}},
                "responses": {"201": {**record_ok, "description": "新记录（sign_refused："
                                      "要求签字但未被接受的原因）"}, **_STEP_ERRORS}}},
        "/api/boundaries/records/{record_id}": {"get": {
            "summary": "一条联检记录（双方签字、全部版本、照片）",
            "operationId": "getInspectionRecord", "parameters": [record_id],
            "responses": {"200": record_ok, "401": _ERROR, "404": _ERROR}}},
        "/api/boundaries/records/{record_id}/sign": {"post": {
            "summary": "本方签字确认（每一方只能为本方签字；同一方不能再次签字；双方签字后记录"
                       "生效）",
            "operationId": "signInspectionRecord", "parameters": [record_id],
            "requestBody": {"required": False, "content": {"application/json": {"schema": {
                "type": "object", "properties": {
                    "note": {"type": "string"},
                    "version": {"type": "integer", "minimum": 1, "maximum": _ID_INT_MAX,
                                "description": "签字人阅读的版本；已被更正时拒绝"}}}}}},
            "responses": {"200": record_ok, **_STEP_ERRORS}}},
        "/api/boundaries/records/{record_id}/correct": {"post": {
            "summary": "更正记录：未签字时直接修改，已有签字时生成新版本；双方已签字的记录"
                       "拒绝",
            "operationId": "correctInspectionRecord", "parameters": [record_id],
            "requestBody": {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "required": ["reason"], "properties": {
                    **{k: v for k, v in record_input.items()
                       if k not in ("kind", "plan_id", "marker_id", "sign")},
                    "reason": {"type": "string", "description": "更正原因"}}}}}},
            "responses": {"200": record_ok, **_STEP_ERRORS}}},
        "/api/boundaries/reports/annual/{year}": {"get": {
            "summary": "年度联检报告", "operationId": "annualInspectionReport",
            "parameters": [{"name": "year", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1949, "maximum": 2100},
                            "example": 2026},
                           parent, report_format],
            "responses": {"200": report_ok, **_READ_ERRORS}}},
        "/api/boundaries/reports/round/{round_no}": {"get": {
            "summary": "轮次联检报告", "operationId": "roundInspectionReport",
            "parameters": [{"name": "round_no", "in": "path", "required": True,
                            "schema": {"type": "integer", "minimum": 1, "maximum": 999},
                            "example": 6},
                           parent, report_format],
            "responses": {"200": report_ok, **_READ_ERRORS}}},
        "/api/boundaries/topology": {"get": {
            "summary": "县级区划面拓扑检查：缝隙、重叠、碎片、无效几何、悬挂线、空洞",
            "operationId": "topologyCheck", "parameters": [parent],
            "responses": {"200": _ok("{parent, divisions, clean, summary, counts, issues, "
                                     "holes}"), "400": _ERROR, "401": _ERROR}}},
    }  # fmt: skip


#: How a client authenticates: the session cookie set by ``POST /login`` (a form with the CSRF
#: token of the log-in page), and on every write the CSRF token from the page's
#: ``<meta name="csrf-token">`` in the ``X-CSRFToken`` header.
SECURITY_SCHEMES = {
    "session": {
        "type": "apiKey",
        "in": "cookie",
        "name": "session",
        "description": "登录后的会话 Cookie（POST /login 表单登录获得；退出、改密码、改角色或"
        "区划、停用账户后失效）",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": "X-CSRFToken",
        "description": '写操作须带 CSRF 令牌（页面 <meta name="csrf-token"> 的值）',
    },
}


def _declare_security(doc: dict[str, Any]) -> dict[str, Any]:
    """Mark every operation that answers 401 as needing the session (writes also the CSRF
    header), and declare the schemes."""
    doc.setdefault("components", {})["securitySchemes"] = SECURITY_SCHEMES
    for methods in doc["paths"].values():
        for method, op in methods.items():
            if "401" in op.get("responses", {}):
                needs = {"session": []} if method == "get" else {"session": [], "csrf": []}
                op["security"] = [needs]
    return doc


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI description (a fresh dict each call), with the bounds that
    :mod:`web.params` enforces on every request and the errors any operation may answer."""
    doc = _document()
    for path, item in doc["paths"].items():
        for method, op in item.items():
            _bound_parameters(op)
            _add_responses(path, method, op)
    _bound_string(doc["components"]["schemas"]["PatrolInput"], "body")  # the one request schema
    return _declare_security(doc)


#: Operations open to anonymous callers (every other one answers 401 without a log-in).
_PUBLIC = frozenset(
    {"openapi", "listDivisions", "getDivision", "validateName", "searchNames", "pinyin", "getName"}
)

#: Operations that start a background computation (429 when too many are waiting).
_JOBS = frozenset({"startCoverageRun", "startSuggestion", "startBatch", "importNetwork"})

_TOO_LARGE = {**_ERROR, "description": "请求体超过此处的大小上限（上限见 error）"}
_CONFLICT = {**_ERROR, "description": "与记录的当前状态冲突：已存在、已由双方签字、已被更正"}
_BUSY = {**_ERROR, "description": "等待中的后台计算过多，请稍后再试"}


def _bound_string(schema: dict[str, Any], field: str) -> None:
    """Give a string schema (or an array of strings) the length cap of its field."""
    from web.params import max_length

    kinds = schema.get("type")
    kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
    if "string" in kinds and schema.get("format") not in ("binary", "date"):
        schema.setdefault("maxLength", max_length(field))
    if "array" in kinds and isinstance(schema.get("items"), dict):
        _bound_string(schema["items"], field)
    for name, prop in schema.get("properties", {}).items():
        _bound_string(prop, name)
    for key in ("oneOf", "anyOf", "allOf"):
        for part in schema.get(key, []):
            _bound_string(part, field)


def _bound_parameters(op: dict[str, Any]) -> None:
    for param in op.get("parameters", []):
        _bound_string(param.setdefault("schema", {}), param["name"])
    for media in op.get("requestBody", {}).get("content", {}).values():
        _bound_string(media.get("schema", {}), "body")


def _add_responses(path: str, method: str, op: dict[str, Any]) -> None:
    """Every operation may answer 400 (a parameter out of bounds) and 404 (an unknown id or
    division); protected ones 401/403; bodies 413; writes 409; job starts 429."""
    responses = op.setdefault("responses", {})
    extra: dict[str, Any] = {"400": _ERROR}
    if op.get("operationId") != "openapi":
        extra["404"] = _ERROR
    if op.get("operationId") not in _PUBLIC:
        extra |= {"401": _ERROR, "403": _ERROR}
    if method == "post":
        extra |= {"409": _CONFLICT, "413": _TOO_LARGE}
    if op.get("operationId") in _JOBS:
        extra["429"] = _BUSY
    for code, response in extra.items():
        responses.setdefault(code, response)


#: ``date``: the divisions as they were that day (行政区划变更 taken into account).
_AS_OF = {
    "name": "date",
    "in": "query",
    "required": False,
    "description": "按该日有效的区划回答（YYYY-MM-DD，默认现行）",
    "schema": {"type": "string", "format": "date"},
    "example": "2018-01-01",
}


def _document() -> dict[str, Any]:
    code_param = {
        "name": "parent",
        "in": "query",
        "required": False,
        "description": "上级区划代码（6、9 或 12 位；2/4 位省/市代码自动补齐）",
        "schema": {"type": "string", "pattern": "^[0-9]{2,12}$"},
        "example": "411700",
    }
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "geociv API",
            "version": __version__,
            "description": (
                "民政区划地名、界线联检与 15 分钟服务圈。"
                "几何为 GeoJSON，坐标系 CGCS2000（EPSG:4490）。"
            ),
        },
        "paths": {
            "/api/divisions": {
                "get": {
                    "summary": "查询行政区划（GeoJSON）",
                    "operationId": "listDivisions",
                    "parameters": [
                        code_param,
                        {
                            "name": "level",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": list(LEVELS)},
                        },
                        {
                            "name": "q",
                            "in": "query",
                            "required": False,
                            "description": "名称包含此文字",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "include_statistical",
                            "in": "query",
                            "required": False,
                            "description": "包含仅统计用的单位（如经济开发区）",
                            "schema": {"type": "boolean", "default": False},
                        },
                        {
                            "name": "geometry",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "boolean", "default": True},
                        },
                        _AS_OF,
                    ],
                    "responses": {
                        "200": {
                            "description": "FeatureCollection",
                            "content": {
                                "application/geo+json": {
                                    "schema": {"$ref": "#/components/schemas/DivisionCollection"}
                                }
                            },
                        },
                        "400": _ERROR,
                        "404": _ERROR,
                    },
                }
            },
            "/api/divisions/{code}": {
                "get": {
                    "summary": "单个行政区划及其上级",
                    "operationId": "getDivision",
                    "parameters": [
                        {
                            "name": "code",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string"},
                            "example": "411702",
                        },
                        _AS_OF,
                    ],
                    "responses": {
                        "200": {
                            "description": "Feature",
                            "content": {
                                "application/geo+json": {
                                    "schema": {"$ref": "#/components/schemas/Division"}
                                }
                            },
                        },
                        "400": _ERROR,
                        "404": _ERROR,
                    },
                }
            },
            "/api/divisions/import": {
                "post": {
                    "summary": "上传区划边界（管理员；需 X-CSRFToken）",
                    "operationId": "importDivisions",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "multipart/form-data": {
                                "schema": {
                                    "type": "object",
                                    "required": ["file"],
                                    "properties": {
                                        "file": {
                                            "type": "string",
                                            "format": "binary",
                                            "description": ".geojson/.json/.gpkg，含 adcode 列",
                                        },
                                        "crs": {
                                            "type": "string",
                                            "description": "EPSG:4490、EPSG:4326、GCJ02、BD09…",
                                        },
                                    },
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "写入结果",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "properties": {
                                            "inserted": {"type": "integer"},
                                            "updated": {"type": "integer"},
                                            "unchanged": {"type": "integer"},
                                        },
                                    }
                                }
                            },
                        },
                        "400": _ERROR,
                        "401": _ERROR,
                        "403": _ERROR,
                    },
                }
            },
            **_names_paths(),
            **_cases_paths(),
            **_division_changes_paths(),
            **_signs_paths(),
            **_boundaries_paths(),
            **_coverage_paths(),
            "/api/openapi.json": {
                "get": {
                    "summary": "本文档",
                    "operationId": "openapi",
                    "responses": {"200": {"description": "OpenAPI 文档"}},
                }
            },
        },
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "required": ["error", "problems"],
                    "properties": {
                        "error": {"type": "string"},
                        "problems": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "row": {"type": ["integer", "null"]},
                                    "field": {"type": ["string", "null"]},
                                    "label": {
                                        "type": "string",
                                        "description": "字段的中文名称（页面显示用）",
                                    },
                                    "message": {"type": "string"},
                                },
                            },
                        },
                    },
                },
                "Division": {
                    "type": "object",
                    "required": ["type", "properties", "geometry"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "id": {"type": "string"},
                        "geometry": {"type": ["object", "null"]},
                        "properties": {
                            "type": "object",
                            "required": ["adcode", "name", "level", "area_km2"],
                            "properties": {
                                "adcode": {"type": "string"},
                                "name": {"type": "string"},
                                "level": {"type": "string", "enum": list(LEVELS)},
                                "parent": {"type": ["string", "null"]},
                                "kind": {"type": "string", "enum": ["statutory", "statistical"]},
                                "area_km2": {"type": ["number", "null"]},
                                "valid_from": {"type": ["string", "null"],
                                               "description": "有效起始日（null：记录之前）"},
                                "valid_to": {"type": ["string", "null"],
                                             "description": "撤销或变更之日（null：现行）"},
                                "predecessors": {"type": "array", "items": {"type": "string"}},
                                "change_case": {"type": ["string", "null"]},
                                "versions": {"type": "array", "items": {"type": "object"},
                                             "description": "该代码的历史版本，由早到晚"},
                            },
                        },
                    },
                },
                "Case": {
                    "type": "object",
                    "required": ["case_id", "kind", "proposed_name", "status", "steps"],
                    "properties": {
                        "case_id": {"type": "string"},
                        "kind": {"type": "string", "enum": list(CASE_KINDS)},
                        "kind_label": {"type": "string"},
                        "proposed_name": {"type": "string"},
                        "old_name": {"type": "string"},
                        "name_id": {"type": ["string", "null"]},
                        "category": {"type": "string"},
                        "division_code": {"type": "string"},
                        "status": {"type": "string", "enum": list(CASE_ALL_STATUSES)},
                        "status_label": {"type": "string"},
                        "next_step": {"type": ["string", "null"]},
                        "open": {
                            "type": "boolean",
                            "description": "尚未办结（未生效、未撤回、未不予批准）",
                        },
                        "can_close": {
                            "type": "boolean",
                            "description": "可以撤回或不予批准（批准前）",
                        },
                        "close_reason": {
                            "type": "string",
                            "description": "撤回或不予批准的理由",
                        },
                        "steps": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "properties": {
                                    "step": {"type": "string", "enum": list(CASE_ALL_STEPS)},
                                    "label": {"type": "string"},
                                    "on": {"type": "string", "format": "date"},
                                    "actor": {"type": "string"},
                                    "note": {"type": "string"},
                                    "at": {"type": "string"},
                                },
                            },
                        },
                        "review": {"type": "object"},
                        "documents": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "Sign": {
                    "type": "object",
                    "required": ["type", "properties", "geometry"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "id": {"type": "string"},
                        "geometry": {"type": ["object", "null"]},
                        "properties": {
                            "type": "object",
                            "properties": {
                                "sign_id": {"type": "string"},
                                "name_id": {"type": "string"},
                                "sign_type": {"type": "string", "enum": list(SIGN_TYPES)},
                                "text": {"type": "string"},
                                "pinyin": {"type": "string"},
                                "lon": {"type": ["number", "null"]},
                                "lat": {"type": ["number", "null"]},
                                "status": {"type": "string", "enum": list(SIGN_STATUSES)},
                                "findings": {"type": "array", "items": {"type": "object"}},
                                "patrols": {"type": "array", "items": {"type": "object"}},
                            },
                        },
                    },
                },
                "BoundaryLine": {
                    "type": "object",
                    "required": ["type", "properties", "geometry"],
                    "properties": {
                        "type": {"const": "Feature"},
                        "id": {"type": "string"},
                        "geometry": {"type": ["object", "null"]},
                        "properties": {
                            "type": "object",
                            "required": ["line_id", "name", "length_km", "level", "left", "right"],
                            "properties": {
                                "line_id": {"type": "string", "example": "411721-411722"},
                                "name": {"type": "string", "example": "西上线"},
                                "section": {"type": "string", "example": "西平县—上蔡县"},
                                "length_km": {"type": "number"},
                                "level": {"type": "string", "enum": list(LINE_LEVELS)},
                                "internal": {"type": "boolean"},
                                "left": {"type": "string", "description": "左侧区划代码"},
                                "right": {"type": "string", "description": "右侧区划代码"},
                                "left_name": {"type": "string"},
                                "right_name": {"type": "string"},
                                "source": {"type": "string"},
                                "sample": {"type": "boolean", "description": "示例数据"},
                                "version": {"type": "integer"},
                                "valid_from": {"type": "string", "format": "date"},
                            },
                        },
                    },
                },
                "InspectionRecord": {
                    "type": "object",
                    "required": ["record_id", "kind", "status", "version", "sides"],
                    "properties": {
                        "record_id": {"type": "string"},
                        "kind": {"type": "string", "enum": list(RECORD_KINDS)},
                        "status": {"type": "string", "enum": list(RECORD_STATUSES)},
                        "status_label": {"type": "string"},
                        "version": {"type": "integer"},
                        "plan_id": {"type": "integer"},
                        "line_id": {"type": "string"},
                        "marker_id": {"type": ["string", "null"]},
                        "inspected_on": {"type": "string", "format": "date"},
                        "condition": {"type": ["string", "null"]},
                        "measured_lon": {"type": ["number", "null"]},
                        "measured_lat": {"type": ["number", "null"]},
                        "gps_accuracy_m": {"type": ["number", "null"]},
                        "references_present": {"type": ["integer", "null"]},
                        "changes": {"type": "array", "items": {"type": "object"}},
                        "sample": {"type": "boolean"},
                        "signatures": {"type": "array", "items": {"type": "object"}},
                        "sides": {"type": "object", "description": "left/right：区划与签字"},
                        "waiting_for": {
                            "type": "array",
                            "items": {"type": "string", "enum": list(SIDES)},
                        },
                        "versions": {"type": "array", "items": {"type": "object"}},
                        "photos": {"type": "array", "items": {"type": "object"}},
                    },
                },
                "PatrolInput": {
                    "type": "object",
                    "required": ["condition"],
                    "properties": {
                        "condition": {
                            "type": "string",
                            "enum": list(PATROL_CONDITIONS),
                            "description": "完好、污损、破损、缺失、被遮挡（代码或中文）",
                        },
                        "date": {"type": "string", "format": "date"},
                        "remarks": {"type": "string"},
                        "inspector": {"type": "string", "description": "巡检人（默认当前用户）"},
                    },
                },
                "DivisionCollection": {
                    "type": "object",
                    "properties": {
                        "type": {"const": "FeatureCollection"},
                        "features": {
                            "type": "array",
                            "items": {"$ref": "#/components/schemas/Division"},
                        },
                    },
                },
            }
        },
    }
