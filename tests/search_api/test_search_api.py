"""The search and subject API in process, on the demo data: JSON bodies, not just codes."""

from __future__ import annotations

import re
import socket

import pytest
from fastapi.testclient import TestClient

from search_api.app import create_app
from sitegroup.config import Settings
from sitegroup.models.idcard import ID_NUMBER_PATTERN, is_valid_id_number, mask_id_number
from sitegroup.search.documents import region_name

HANGZHOU_PERSON_ID = "330106196208189947"


@pytest.fixture(scope="module")
def client(demo_settings: Settings):
    with TestClient(create_app(demo_settings)) as c:
        yield c


def get(client: TestClient, path: str, **params):
    return client.get(path, params=params)


def no_raw_id_numbers(text: str) -> bool:
    return not any(is_valid_id_number(m.group()) for m in ID_NUMBER_PATTERN.finditer(text))


def test_health_reports_store_and_index(client) -> None:
    body = client.get("/api/health").json()
    assert body["status"] == "ok"
    assert body["store"]["status"] == "ok" and body["store"]["last_push"] > 0
    index = body["index"]
    assert index["status"] == "ok" and index["backend"] == "embedded"
    assert index["synced_push"] == body["store"]["last_push"] and index["documents"] > 300


def test_search_body(client) -> None:
    body = get(client, "/api/search", q="杭州", site="zhejiang").json()
    assert body["mode"] == "text" and body["site"] == "zhejiang" and body["scope"] == "local"
    assert body["scope_region"] == {"code": "330000", "name": "浙江省"}
    facets = {f["kind"]: f["count"] for f in body["facets"]["kind"]}
    assert [f["label"] for f in body["facets"]["kind"]] == [
        "行政许可",
        "行政处罚",
        "红名单",
        "黑名单",
    ]
    assert body["total"] == sum(facets.values()) > 20
    assert body["pages"] == -(-body["total"] // 20) and len(body["hits"]) == 20
    for hit in body["hits"]:
        assert "杭州" in hit["subject_name"] and hit["match"] == "name"
        assert hit["region_code"].startswith("33") and hit["region_name"].startswith("浙江省")
    # Shorter names first: the documented relevance order.
    lengths = [len(h["subject_name"]) for h in body["hits"]]
    assert lengths == sorted(lengths)


def test_same_question_same_answer_on_every_site(client) -> None:
    name = get(client, "/api/search", q="杭州", site="zhejiang-hangzhou").json()["hits"][0][
        "subject_name"
    ]
    answers = [
        get(client, "/api/search", q=name, site="zhejiang").json(),
        get(client, "/api/search", q=name, site="zhejiang-hangzhou").json(),
        get(client, "/api/search", q=name, site="jiangsu-wuxi", scope="all").json(),
        get(client, "/api/search", q=name, site="main").json(),
    ]
    assert answers[0]["total"] >= 1
    assert all(a["hits"] == answers[0]["hits"] for a in answers)
    assert get(client, "/api/search", q=name, site="jiangsu-wuxi").json()["total"] == 0


def test_region_scoping(client) -> None:
    hangzhou = get(client, "/api/search", site="zhejiang-hangzhou", size=50).json()
    wuxi = get(client, "/api/search", site="jiangsu-wuxi", size=50).json()
    nation = get(client, "/api/search", site="main").json()
    assert hangzhou["total"] and wuxi["total"]
    assert all(h["region_code"].startswith("3301") for h in hangzhou["hits"])
    assert all(h["region_code"].startswith("3202") for h in wuxi["hits"])
    assert nation["scope_region"] is None
    assert nation["total"] >= hangzhou["total"] + wuxi["total"]
    region = get(client, "/api/search", site="zhejiang", region="330106").json()
    assert region["region"] == {"code": "330106", "name": region_name("330106")}
    assert region["total"] and all(h["region_code"] == "330106" for h in region["hits"])


def test_kind_filter_keys_and_labels(client) -> None:
    by_key = get(client, "/api/search", site="zhejiang", kind="penalty").json()
    by_label = get(client, "/api/search", site="zhejiang", kind="行政处罚").json()
    assert by_key["hits"] == by_label["hits"] and by_key["kinds"] == ["penalty"]
    assert {h["kind"] for h in by_key["hits"]} == {"penalty"}
    facets = {f["kind"]: f["count"] for f in by_key["facets"]["kind"]}
    assert by_key["total"] == facets["penalty"] and facets["license"] > 0  # facets ignore kind
    both = client.get(
        "/api/search", params=[("site", "zhejiang"), ("kind", "penalty"), ("kind", "redlist")]
    )
    assert both.json()["total"] == facets["penalty"] + facets["redlist"]


def test_paging_is_stable_and_complete(client) -> None:
    first = get(client, "/api/search", site="main", size=7).json()
    seen = []
    for page in range(1, first["pages"] + 1):
        seen += [
            h["key"]
            for h in get(client, "/api/search", site="main", size=7, page=page).json()["hits"]
        ]
    assert len(seen) == len(set(seen)) == first["total"]


def test_code_and_document_number(client) -> None:
    hit = get(client, "/api/search", q="杭州", site="zhejiang").json()["hits"][0]
    code = hit["subject_code"]
    by_code = get(client, "/api/search", q=code.lower()).json()
    assert by_code["mode"] == "code" and by_code["total"] >= 1
    assert all(h["subject_code"] == code and h["match"] == "code" for h in by_code["hits"])
    doc = hit["document_no"]
    by_doc = get(client, "/api/search", q=doc.replace("〔", "(").replace("〕", ")")).json()
    assert by_doc["hits"][0]["document_no"] == doc and by_doc["hits"][0]["match"] == "document_no"


@pytest.mark.parametrize(
    ("params", "status", "code", "field", "words"),
    [
        ({"q": "913301000000000001"}, 422, "bad_code", "q", "校验位"),
        ({"q": "杭"}, 422, "invalid_query", "q", "至少 2 个字"),
        ({"q": "杭" * 101}, 422, "invalid_query", "q", "过长"),
        ({"q": "！！"}, 422, "invalid_query", "q", "汉字、字母或数字"),
        ({"q": HANGZHOU_PERSON_ID}, 422, "id_number_query", "q", "身份证"),
        ({"kind": "违章"}, 422, "invalid_param", "kind", "信息类别"),
        ({"size": "51"}, 422, "invalid_query", "size", "1–50"),
        ({"page": "0"}, 422, "invalid_query", "page", "1–100"),
        ({"page": "二"}, 422, "invalid_param", "page", "整数"),
        ({"from": "2026-13-01"}, 422, "invalid_param", "from", "YYYY-MM-DD"),
        ({"from": "2026-10-01", "to": "2026-01-01"}, 422, "invalid_query", "from", "晚于"),
        ({"scope": "province"}, 422, "invalid_param", "scope", "local"),
        ({"region": "999999"}, 422, "invalid_param", "region", "999999"),
        ({"site": "atlantis"}, 404, "unknown_site", "site", "atlantis"),
    ],
)
def test_refusals_name_the_problem(client, params, status, code, field, words) -> None:
    response = client.get("/api/search", params=params)
    assert response.status_code == status
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    assert words in error["message"]
    assert HANGZHOU_PERSON_ID not in response.text


def test_natural_persons_masked_in_every_answer(client) -> None:
    body = get(client, "/api/search", q="张勇", site="zhejiang-hangzhou")
    hits = body.json()["hits"]
    assert hits and hits[0]["subject_type"] == "自然人" and hits[0]["subject_code"] == ""
    assert mask_id_number(HANGZHOU_PERSON_ID) in body.text
    everything = get(client, "/api/search", size=50, site="main", kind="penalty")
    assert no_raw_id_numbers(body.text) and no_raw_id_numbers(everything.text)


def test_subject(client) -> None:
    hit = get(client, "/api/search", q="有限公司", site="zhejiang").json()["hits"][0]
    body = client.get(f"/api/subjects/{hit['subject_code']}").json()
    assert body["subject"]["code"] == hit["subject_code"]
    assert body["subject"]["name"] == hit["subject_name"]
    assert body["subject"]["region_name"] == region_name(body["subject"]["region_code"])
    counts = {c["kind"]: c["count"] for c in body["counts"]}
    assert body["total"] == sum(counts.values()) >= 1
    assert {k: len(v) for k, v in body["records"].items()} == counts
    assert any(r["key"] == hit["key"] for r in body["records"][hit["kind"]])


@pytest.mark.parametrize(
    ("code", "status", "words"),
    [
        ("9133010", 422, "18 位"),
        ("91330100MA27XXXX1I", 422, "第 18 位字符“I”"),
        ("913301000000000001", 422, "校验位"),
        ("91330100000000000X", 422, "校验位"),
    ],
)
def test_subject_refusals(client, code, status, words) -> None:
    response = client.get(f"/api/subjects/{code}")
    assert response.status_code == status and words in response.json()["error"]["message"]


def test_unknown_valid_code_is_404(client) -> None:
    from sitegroup.models.uscc import check_character

    body = "91110000000000001"
    response = client.get(f"/api/subjects/{body + check_character(body)}")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_cors_only_for_group_sites(client) -> None:
    ok = client.get("/api/search", headers={"Origin": "https://www.creditchina.gov.cn"})
    assert ok.headers["access-control-allow-origin"] == "https://www.creditchina.gov.cn"
    evil = client.get("/api/search", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in evil.headers


def test_openapi_docs(client) -> None:
    assert client.get("/docs", follow_redirects=False).headers["location"] == "/api/docs"
    assert client.get("/api/docs").status_code == 200
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/search", "/api/subjects/{uscc}", "/api/health"} <= set(paths)


def test_unknown_api_path_is_json(client) -> None:
    response = client.get("/api/nothing-here")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_meilisearch_outage_is_503_and_health_names_it(demo_settings: Settings) -> None:
    settings = demo_settings.model_copy(
        update={
            "search_backend": "meilisearch",
            "meili_url": f"http://127.0.0.1:{_closed_port()}",
            "meili_key": "x" * 16,
            "meili_timeout": 1.0,
        }
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/api/search", params={"q": "杭州"})
        assert response.status_code == 503
        error = response.json()["error"]
        assert error["code"] == "search_unavailable" and "Meilisearch" in error["message"]
        assert "公示栏目页面仍可正常浏览" in error["message"]
        health = client.get("/api/health")
        assert health.status_code == 503
        body = health.json()
        assert body["status"] == "degraded" and body["store"]["status"] == "ok"
        assert body["index"]["status"] == "down" and body["index"]["backend"] == "meilisearch"
        assert re.search("Meilisearch", body["index"]["message"])
