"""The OpenAPI 3.1 document of geociv's JSON API."""

from __future__ import annotations

from typing import Any

from geociv import __version__
from geociv.store import LEVELS

_ERROR = {
    "description": "请求有误：error 说明原因，problems 列出每一处（行、字段、信息）",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
}


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
