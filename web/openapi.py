"""The OpenAPI 3.1 document of geociv's JSON API."""

from __future__ import annotations

from typing import Any

from geociv import __version__
from geociv.store import LEVELS

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


def _names_paths() -> dict[str, Any]:
    q = {"name": "q", "in": "query", "required": True, "schema": {"type": "string"},
         "description": "汉字、拼音（可带声调或数字调）或拼音首字母"}  # fmt: skip
    return {
        "/api/names/validate": {"post": {
            "summary": "按全部规则检查一个地名（不写入）", "operationId": "validateName",
            "requestBody": _json_body(["name", "category", "division_code"], _NAME_FIELDS),
            "responses": {"200": _ok("检查结果：专名、通名、拼音、全部发现"), "400": _ERROR,
                          "404": _ERROR}}},
        "/api/names/search": {"get": {
            "summary": "查找地名（含别名、曾用名），按匹配程度排序", "operationId": "searchNames",
            "parameters": [q,
                {"name": "within", "in": "query", "schema": {"type": "string"},
                 "description": "区划代码前缀"},
                {"name": "bbox", "in": "query", "schema": {"type": "string"},
                 "description": "地图范围 minx,miny,maxx,maxy"},
                {"name": "limit", "in": "query", "schema": {"type": "integer", "default": 20}}],
            "responses": {"200": _ok("结果列表（含 bbox，可在地图上定位）"), "400": _ERROR}}},
        "/api/pinyin": {"get": {
            "summary": "按地名拼写规则生成拼音", "operationId": "pinyin",
            "parameters": [
                {"name": "name", "in": "query", "required": True, "schema": {"type": "string"}},
                {"name": "category", "in": "query", "schema": {"type": "string"}}],
            "responses": {"200": _ok("拼音、无调拼音、首字母、多音字"), "400": _ERROR}}},
        "/api/names": {"post": {
            "summary": "登记地名（地名管理员；先检查，错误须确认）", "operationId": "addName",
            "requestBody": _json_body(["name", "category", "division_code"], {
                **_NAME_FIELDS, "geometry": {"type": "object"},
                "status": {"type": "string", "enum": ["proposed", "approved", "published"]},
                "aliases": {"type": "array", "items": {"type": "string"}},
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


def openapi_document() -> dict[str, Any]:
    """Return the OpenAPI description (a fresh dict each call)."""
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
                        }
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
                            },
                        },
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
