"""Credit report benchmark for the 信用中国 site group: the target of issue 8.

What it measures, on this machine, for each store (``sqlite``: a fresh file in a temporary
folder; ``postgresql``: a fresh database ``bench_reports_*`` on the local server, upgraded
here and dropped afterwards):

0. **The data.** The demo push (``news_push.demo.push_demo``: headlines and about 400 records
   of every kind), then one JSON Lines file pushed with ``news_push.job.run_records`` (the
   real pipeline: validation, versioning, the store): one subject, a 杭州 (西湖区) company,
   with exactly 20 active records of mixed kinds, 8 行政许可, 8 行政处罚, 2 红名单 and
   2 黑名单, with realistic long fields (违法事实 of 117-225 characters, 许可内容 of
   65-139, 列入事由 of 69-107, 处罚依据 citing two articles). Every report must list all
   20 (``content.total``).
1. **In process, single-threaded:** ``ReportDesk.issue(uscc, site)`` in a loop for
   ``--warmup`` + ``--seconds`` seconds (default 2 + 30): gather the records, take a ledger
   number, render the PDF (text, QR code, Pillow watermark on every page), hash and sign it,
   commit. The sites rotate over the 13 demo sites. Figures over the measured window:
   reports/s, p50 / p99 ms, the rendering's share (``Renderer.render`` timed alone), PDF
   size and page count, CPU seconds of this process. Then the ledger must hold one signed row
   per issued report, and a sample of the reports must verify as authentic
   (``ReportDesk.check_file`` and ``check_code``), and its text (pypdf) must hold the subject's
   name, the report number and all 20 document numbers.
2. **Over HTTP:** ``uvicorn search_api.app:create_app --factory --workers N`` (access log
   off) on a free loopback port, with a fixed ``SITEGROUP_REPORT_KEY`` so every worker signs
   with the same key. ``--clients`` threads (default 4), each with its own keep-alive
   ``httpx.Client``, call ``GET /api/reports/{uscc}?site=<site>`` (sites rotating) for
   ``--warmup`` + ``--seconds`` seconds. Every answer must be 200 ``application/pdf`` with a
   ``BG…`` ``X-Report-No``, all numbers distinct. Figures over the measured window:
   reports/s, p50 / p99 / max ms, and the CPU of the API processes, this client, PostgreSQL
   and everything else on the machine (``/proc``).
3. **The reports are real:** while the server runs, a sample of the PDFs it sent (first,
   middle, last) is uploaded to ``POST /api/reports/verify`` and must come back
   ``authentic`` with the same number and subject; ``GET /api/reports/verify/{no}?code=``
   with the code printed in the PDF (pypdf text) must say ``authentic`` too; one copy with
   a byte changed must come back ``altered``. After the server is stopped (SIGTERM, by its
   PID), the ledger rows written during the run must be exactly the report numbers received:
   nothing lost, nothing doubled, no half-written row.

4. **Where the time goes** (first store only): ``--profile-n`` reports in process with a few
   functions of the report code wrapped by a timer: gathering, layout (with the QR code),
   header / footer / watermark, PDF output (font subsets, zlib), and the rest (the ledger).

Other sessions share this 2-core machine. Before each measured run the bench waits (at most
``--idle-wait`` seconds, default 180) until everything else has used under a quarter of a
core for 5 s in a row, and every run reports the CPU seconds others used meanwhile: a run
with a large "others" figure measured the neighbours too.

Target (issue 8): at least 10 reports/s for a subject with 20 records on this 2-core
machine. The verdict line says PASS when, on every store, the in-process rate and the HTTP
rate of the best worker count both reach it and every check above holds; the exit status is
1 otherwise.

``--profile`` (automatic when the in-process rate misses the target) also issues
``--profile-n`` reports under cProfile on the first store and prints the functions with the
most own time and the most cumulative time (kept in ``profile.txt``). cProfile slows the
many small Python calls of the layout far more than zlib or Pillow: read its list for
call counts, and the stage times above for the shares.

Usage::

    .venv/bin/python bench/report_bench.py                      # both stores, 30 s runs
    .venv/bin/python bench/report_bench.py --quick              # 5 s runs
    .venv/bin/python bench/report_bench.py --stores sqlite --workers 2 --clients 8
    .venv/bin/python bench/report_bench.py --profile --stores sqlite

Scratch files go to ``bench/out/reports/`` (git-ignored; each run's server log is kept
there). Figures are printed as they are measured, as a table at the end, and written to
``bench/out/reports/results[-quick].json``.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import importlib.metadata
import io
import json
import os
import pstats
import re
import secrets
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from build_bench import DEMO_TENANTS, Report, machine_info, section
from hits_bench import machine_busy, own_cpu, percentile, postgres_cpu, store_url, tree_cpu
from pypdf import PdfReader

from news_push.demo import push_demo
from news_push.job import run_records
from sitegroup.clock import CST
from sitegroup.config import Settings
from sitegroup.models.uscc import check_character
from sitegroup.reports import open_reports
from sitegroup.reports.content import ReportContent
from sitegroup.reports.desk import ReportDesk
from sitegroup.reports.render import Renderer, ReportMeta
from sitegroup.store import Store, open_store
from sitegroup.store.tables import reports
from sitegroup.tenants.loader import load_group
from sitegroup.tenants.registry import Group, Site
from sitegroup.theme import load_theme

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repository root: tests/
from tests.servers import (
    HOST,
    LoopbackServer,
    log_tail,
    postgres_reachable,
    stop_process,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
STORES = ("sqlite", "postgresql")
DEFAULT_WORKERS = "1,2"
TARGET_REPORTS_PER_S = 10.0
RECORDS = 20
#: Document number, report number, page count: what a report's text must hold.
_NUMBER = re.compile(r"BG\d{16}")
_PAGES = re.compile(rb"/Type /Pages /Kids \[[^\]]*\] /Count (\d+)")
_CODE = re.compile(r"核验码[：:]?([23456789A-HJKMNP-Z]{4}-?[23456789A-HJKMNP-Z]{4})")
#: "Idle": other processes use under this many cores, for this many seconds in a row.
IDLE_CORES = 0.25
IDLE_SECONDS = 5.0
LOG_ALARMS = ("Traceback", "ERROR", "database is locked", "Internal Server Error")


# -- the subject and its 20 records -----------------------------------------------------------


def uscc(first17: str) -> str:
    """A valid 统一社会信用代码 from its first 17 characters."""
    return first17 + check_character(first17)


REGION = "330106"  # 杭州市西湖区: shown on 信用中国, 浙江, 浙江杭州
SUBJECT_NAME = "杭州云栖智联数据科技股份有限公司"
SUBJECT_CODE = uscc("91330106MA2K7RB4F")
LEGAL_REP = "沈立新"
#: A government unit's code (11 + region + 9 digits) for authorities and data sources.
AGENCY = {
    name: uscc(f"11{REGION if '西湖' in name else '330100'}{n:09d}")
    for n, name in enumerate(
        (
            "杭州市西湖区市场监督管理局",
            "杭州市生态环境局",
            "杭州市交通运输局",
            "杭州市西湖区卫生健康局",
            "杭州市应急管理局",
            "杭州市西湖区综合行政执法局",
            "国家税务总局杭州市西湖区税务局",
            "杭州市住房和城乡建设局",
            "杭州市人力资源和社会保障局",
            "杭州市西湖区公共信用信息服务中心",
        ),
        start=101,
    )
}
SOURCE_UNIT = "杭州市西湖区公共信用信息服务中心"

LICENSES = (
    ("食品经营许可决定书", "杭西市监食许", "食品经营许可证", "杭州市西湖区市场监督管理局",
     "预包装食品销售（含冷藏冷冻食品）；散装食品销售（不含冷藏冷冻食品）；热食类食品制售；"
     "冷食类食品制售；生食类食品制售；糕点类食品制售（含裱花蛋糕）；自制饮品制售（不含使用压力"
     "容器制作饮品）。经营场所：杭州市西湖区三墩镇西园八路11号1幢一层员工餐厅及配套操作间，"
     "就餐座位120个。"),
    ("排污许可决定书", "杭环西许", "排污许可证", "杭州市生态环境局",
     "行业类别：数据处理和存储服务、锅炉。主要污染物类别：废气、废水。大气主要污染物种类："
     "颗粒物、二氧化硫、氮氧化物、挥发性有机物；废水主要污染物种类：化学需氧量、氨氮、总磷。"
     "排放方式：有组织排放；备用柴油发电机组烟气经处理后由30米排气筒高空排放。"),
    ("道路运输经营许可决定书", "杭交运许", "道路运输经营许可证", "杭州市交通运输局",
     "道路普通货物运输；货物专用运输（集装箱）；道路货物运输站（场）经营。车辆12辆，均为"
     "国六排放标准厢式货车，用于数据中心服务器整机及备品备件的城际配送。"),
    ("公共场所卫生许可决定书", "杭西卫公许", "公共场所卫生许可证", "杭州市西湖区卫生健康局",
     "公共场所类别：展览馆（企业展示中心）。营业面积1860平方米，含多媒体展示厅、会议室及"
     "公共休息区；集中空调通风系统经卫生检测合格。"),
    ("危险化学品经营许可决定书", "杭应急危化经字", "危险化学品经营许可证", "杭州市应急管理局",
     "不带储存设施经营：柴油［闭杯闪点≤60℃］、硫酸、氢氧化钠、次氯酸钠溶液［含有效氯＞5%］"
     "（仅限数据中心备用电源及冷却水处理自用周转，不得向第三方销售）。"),
    ("建筑工程施工许可决定书", "杭建施许", "建筑工程施工许可证", "杭州市住房和城乡建设局",
     "西湖区云栖数据中心二期扩建工程：新建数据中心机房楼1幢、动力中心1幢及配套地下室，总建筑"
     "面积42,356平方米，合同价格人民币3.86亿元，合同工期720日历天。"),
    ("增值电信业务经营许可决定书", "浙通信许", "增值电信业务经营许可证",
     "杭州市西湖区市场监督管理局",
     "第一类增值电信业务中的互联网数据中心业务（不含互联网资源协作服务），业务覆盖范围：浙江省"
     "杭州市；第二类增值电信业务中的在线数据处理与交易处理业务（仅限经营类电子商务）、信息服务"
     "业务（仅限互联网信息服务）。"),
    ("医疗器械经营许可决定书", "浙杭药监械经营许", "医疗器械经营许可证",
     "杭州市西湖区市场监督管理局",
     "经营方式：批零兼营。经营范围：Ⅲ类：6822医用光学器具、仪器及内窥镜设备；6870软件"
     "（医学影像处理软件、临床决策支持软件）；库房地址：杭州市西湖区三墩镇西园八路11号3幢"
     "二层，面积320平方米。"),
)  # fmt: skip

PENALTIES = (
    ("虚假宣传", "杭西市监罚处", "杭州市西湖区市场监督管理局", "市场监管",
     "经查，当事人于2026年1月至3月期间，在其官方网站、微信公众号及第三方电商平台店铺的产品"
     "详情页中，宣称其“云栖智算一体机”产品“获得国家级权威认证”“数据安全等级全国第一”"
     "“服务超过十万家政府机关”，并配以伪造的认证证书图片。经核实，当事人无法提供上述认证及"
     "排名的任何证明材料，其实际服务的政府机关客户仅为37家。当事人的上述行为对产品的性能、"
     "质量、用户评价作虚假的商业宣传，欺骗、误导消费者，违法广告费用及相关销售额合计"
     "人民币186,400元。",
     "《中华人民共和国反不正当竞争法》第八条第一款、第二十条第一款",
     "罚款", "责令停止违法行为，消除影响，并处罚款人民币二十万元", "20", ""),
    ("超标排放大气污染物", "杭环西罚", "杭州市生态环境局", "生态环境",
     "2026年4月16日，执法人员对当事人位于西湖区三墩镇的数据中心进行现场检查，委托第三方检测"
     "机构对备用柴油发电机组排气筒进行监督性监测。监测结果显示，氮氧化物排放浓度为"
     "386毫克/立方米，超过《大气污染物综合排放标准》（GB 16297-1996）规定的240毫克/立方米"
     "限值0.61倍；颗粒物排放浓度为42毫克/立方米，超过限值0.40倍。当事人在发电机组例行测试"
     "期间未开启尾气净化装置，以上事实有现场检查笔录、监测报告、询问笔录及照片等证据证实。",
     "《中华人民共和国大气污染防治法》第十八条、第九十九条第（二）项",
     "罚款", "责令改正违法行为，并处罚款人民币二十八万元", "28", ""),
    ("未按规定对从业人员进行安全生产教育和培训", "杭应急罚", "杭州市应急管理局", "安全生产",
     "2026年5月9日，执法人员对当事人进行安全生产执法检查，发现当事人动力中心配电室、柴油储罐区"
     "共有11名运维外包人员未经安全生产教育和培训即上岗作业，当事人不能提供相应的培训档案及考核"
     "记录；另有2名特种作业人员（低压电工作业）的特种作业操作证已超过有效期未复审。当事人主要"
     "负责人对上述事实无异议，并已于检查当日组织停岗培训。",
     "《中华人民共和国安全生产法》第二十八条第一款、第九十七条第（三）项",
     "罚款", "责令限期改正，并处罚款人民币四万五千元", "4.5", ""),
    ("未按照规定期限办理纳税申报和报送纳税资料", "杭西税简罚",
     "国家税务总局杭州市西湖区税务局", "税务",
     "当事人2026年第一季度的企业所得税（预缴）及2026年2月、3月的印花税、城市维护建设税、教育费"
     "附加、地方教育附加，未按照规定的期限办理纳税申报和报送纳税资料，经税务机关责令限期改正后"
     "逾期仍未改正，直至2026年6月3日方补办申报。",
     "《中华人民共和国税收征收管理法》第二十五条第一款、第六十二条",
     "罚款", "罚款人民币二千元", "0.2", ""),
    ("擅自占用城市道路施工", "杭西综执罚决字", "杭州市西湖区综合行政执法局", "城市管理",
     "2026年6月22日，执法队员巡查发现，当事人委托的施工单位在西园八路与西园三路交叉口东侧，未经"
     "市政工程行政主管部门和公安交通管理部门批准，擅自占用城市道路人行道及非机动车道约"
     "146平方米，开挖敷设通信管道，现场未设置明显标志和安全防围设施，影响行人及非机动车通行。",
     "《城市道路管理条例》第三十一条第一款、第四十二条第（三）项",
     "罚款", "责令限期改正，恢复原状，并处罚款人民币一万五千元", "1.5", ""),
    ("销售不合格产品", "杭西市监罚处", "杭州市西湖区市场监督管理局", "市场监管",
     "2026年3月，杭州市市场监督管理局组织的产品质量监督抽查中，从当事人处抽取的“云栖”牌"
     "UPS不间断电源（型号YQ-UPS-20K，生产日期2025年11月）经检验，输出电压稳定性、输入功率因数"
     "两项不合格，检验结论为不合格。经查，当事人购进同批次产品60台，已销售52台，销售单价"
     "人民币8,900元，违法所得人民币21,840元，货值金额人民币534,000元。当事人对检验结论"
     "未提出异议。",
     "《中华人民共和国产品质量法》第三十九条、第四十九条",
     "没收违法所得；罚款", "没收违法所得人民币21,840元，并处罚款人民币三十五万元",
     "35", "2.184"),
    ("拖欠劳务费用", "杭人社监罚", "杭州市人力资源和社会保障局", "人力资源社会保障",
     "经查，当事人在西湖区云栖数据中心二期扩建工程中，作为建设单位未按照合同约定及时拨付工程"
     "款中的人工费用，导致施工总承包单位拖欠农民工工资合计人民币1,268,500元，涉及农民工"
     "143人。劳动保障监察机构于2026年7月10日下达限期改正指令书，当事人逾期未改正，至2026年"
     "8月2日方全部支付。",
     "《保障农民工工资支付条例》第三十条第一款、第五十七条第（一）项",
     "罚款", "罚款人民币五万元", "5", ""),
    ("未依法进行环境影响评价擅自开工建设", "杭环西罚", "杭州市生态环境局", "生态环境",
     "经查，当事人西湖区云栖数据中心二期扩建项目属于应当编制环境影响报告表的建设项目，当事人"
     "未依法报批环境影响评价文件，于2026年3月擅自开工建设，至2026年7月执法检查时已完成机房楼"
     "基础及地下室结构施工。该项目总投资人民币9.2亿元，当事人对违法事实无异议。",
     "《中华人民共和国环境影响评价法》第二十五条、第三十一条第一款",
     "罚款", "责令停止建设，并处罚款人民币四十六万元", "46", ""),
)  # fmt: skip

LISTS = (
    ("redlist", "纳税信用A级纳税人", "浙税信评〔2026〕18号", "国家税务总局杭州市西湖区税务局",
     "经2025年度纳税信用评价，当事人按时足额申报缴纳各项税款，财务会计制度健全，依法履行代扣"
     "代缴义务，无欠税及税收违法记录，评价结果为A级。", "2027-12-31"),
    ("redlist", "守合同重信用企业", "浙市监信〔2026〕7号", "杭州市西湖区市场监督管理局",
     "连续两年合同履约率达到100%，合同管理制度健全，设有专门合同管理机构和人员，无合同违法"
     "行为及不良信用记录，经企业申报、市场监管部门审核并公示无异议，认定为守合同重信用企业。",
     "2028-06-30"),
    ("blacklist", "拖欠农民工工资失信联合惩戒对象名单", "杭人社失信〔2026〕12号",
     "杭州市人力资源和社会保障局",
     "当事人作为建设单位未按约定拨付人工费用，导致拖欠143名农民工工资合计人民币1,268,500元，"
     "经责令限期改正逾期仍未改正，造成一定社会影响，依据《拖欠农民工工资失信联合惩戒对象名单"
     "管理暂行办法》第五条列入名单。", "2029-08-20"),
    ("blacklist", "环境违法失信名单", "杭环信〔2026〕31号", "杭州市生态环境局",
     "当事人在一年内因超标排放大气污染物、未依法进行环境影响评价擅自开工建设两次受到生态环境"
     "行政处罚，罚款金额合计人民币七十四万元，依据《浙江省企业环境信用评价管理办法》认定为"
     "环境失信企业。", "2029-10-15"),
)  # fmt: skip


def subject_rows(today: date) -> list[dict[str, str]]:
    """The 20 rows of the benchmark's subject, as a central push file carries them."""
    base = {
        "行政相对人名称": SUBJECT_NAME,
        "行政相对人类别": "法人及非法人组织",
        "统一社会信用代码": SUBJECT_CODE,
        "法定代表人": LEGAL_REP,
        "数据来源单位": SOURCE_UNIT,
        "数据来源单位统一社会信用代码": AGENCY[SOURCE_UNIT],
        "地方编码": REGION,
    }
    rows = []
    for n, (name, prefix, cert, authority, content) in enumerate(LICENSES, 1):
        decided = today - timedelta(days=90 * n + 17)
        rows.append(
            base
            | {
                "kind": "license",
                "行政许可决定文书名称": name,
                "行政许可决定文书号": f"{prefix}〔{decided.year}〕{200 + 7 * n:04d}号",
                "许可类别": "普通",
                "许可证书名称": cert,
                "许可编号": f"{prefix[:2].upper()}33010{n}{decided:%Y%m%d}{n:03d}",
                "许可内容": content,
                "许可决定日期": decided.isoformat(),
                "有效期自": decided.isoformat(),
                "有效期至": decided.replace(year=decided.year + 5).isoformat(),
                "许可机关": authority,
                "许可机关统一社会信用代码": AGENCY[authority],
                "当前状态": "有效",
            }
        )
    for n, item in enumerate(PENALTIES, 1):
        violation, prefix, authority, domain, facts, basis, category, content, fine, conf = item
        decided = today - timedelta(days=21 * n + 3)
        rows.append(
            base
            | {
                "kind": "penalty",
                "行政处罚决定书文号": f"{prefix}〔{decided.year}〕{100 + 13 * n}号",
                "违法行为类型": violation,
                "违法事实": facts,
                "处罚依据": basis,
                "处罚类别": category,
                "处罚内容": content,
                "罚款金额(万元)": fine,
                "没收违法所得、没收非法财物的金额(万元)": conf,
                "处罚决定日期": decided.isoformat(),
                "处罚有效期": decided.isoformat(),
                "公示截止期": decided.replace(year=decided.year + 3).isoformat(),
                "处罚机关": authority,
                "处罚机关统一社会信用代码": AGENCY[authority],
                "失信严重程度": "一般",
                "所属领域": domain,
            }
        )
    for n, (kind, list_name, doc_no, authority, reason, valid_to) in enumerate(LISTS, 1):
        rows.append(
            base
            | {
                "kind": kind,
                "名单名称": list_name,
                "认定文书号": doc_no,
                "列入事由": reason,
                "认定部门": authority,
                "认定部门统一社会信用代码": AGENCY[authority],
                "列入日期": (today - timedelta(days=40 * n)).isoformat(),
                "有效期至": valid_to,
            }
        )
    return rows


def document_numbers(rows: list[dict[str, str]]) -> list[str]:
    keys = ("行政许可决定文书号", "行政处罚决定书文号", "认定文书号")
    return [next(row[k] for k in keys if k in row) for row in rows]


def fill_store(store: Store, group: Group, work: Path, today: date) -> list[str]:
    """The demo push plus the subject's 20 records; their document numbers."""
    for result in push_demo(store=store, group=group, today=today):
        if result.problems:
            raise SystemExit(f"demo push refused rows: {[str(p) for p in result.problems[:3]]}")
    rows = subject_rows(today)
    path = work / "subject.jsonl"
    path.write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8"
    )
    result = run_records(path, store=store, group=group, today=today)
    if result.problems or result.outcome.added != RECORDS:
        problems = [str(p) for p in result.problems[:5]]
        raise SystemExit(f"subject push: {result.summary()} {problems}")
    return document_numbers(rows)


# -- checks shared by both phases -------------------------------------------------------------


def page_count(pdf: bytes) -> int:
    found = _PAGES.search(pdf)
    return int(found.group(1)) if found else 0


def pdf_text(pdf: bytes) -> str:
    """Every page's text, white space removed (lines may break anywhere)."""
    pages = PdfReader(io.BytesIO(pdf)).pages
    return re.sub(r"\s+", "", "".join(page.extract_text() or "" for page in pages))


def text_problems(pdf: bytes, report_no: str, docs: list[str]) -> list[str]:
    """What the report's text lacks: the subject, its number, a record's document number."""
    text = pdf_text(pdf)
    wanted = [SUBJECT_NAME, SUBJECT_CODE, report_no, *docs]
    return [w for w in wanted if re.sub(r"\s+", "", w) not in text]


def printed_code(pdf: bytes) -> str:
    found = _CODE.search(pdf_text(pdf))
    return found.group(1) if found else ""


def altered_copy(pdf: bytes) -> bytes:
    """The PDF with one digit of its content changed (what a forger's edit leaves)."""
    at = pdf.index(b"stream", len(pdf) // 3) + 20
    return pdf[:at] + bytes([pdf[at] ^ 0x01]) + pdf[at + 1 :]


@dataclass
class Ledger:
    rows: int
    numbers: set[str]
    unfinished: int  # rows without a number, hash or signature: must be 0


def read_ledger(url: str, after_id: int = 0) -> Ledger:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(
                sa.select(reports.c.report_no, reports.c.content_sha256, reports.c.signature).where(
                    reports.c.id > after_id
                )
            ).all()
    finally:
        store.close()
    unfinished = sum(1 for r in rows if not (r.report_no and r.content_sha256 and r.signature))
    return Ledger(len(rows), {r.report_no for r in rows if r.report_no}, unfinished)


def last_id(url: str) -> int:
    store = open_store(url)
    try:
        with store.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.max(reports.c.id))).scalar() or 0)
    finally:
        store.close()


def wait_idle(report: Report, args: argparse.Namespace, label: str) -> float:
    """Wait, at most ``--idle-wait`` seconds, until the rest of the machine (other sessions)
    has used under ``IDLE_CORES`` cores for ``IDLE_SECONDS`` in a row; the seconds waited."""
    if args.idle_wait <= 0:
        return 0.0
    started = time.perf_counter()
    quiet, note = 0.0, started + 15
    busy, mine = machine_busy(), own_cpu()
    while quiet < IDLE_SECONDS:
        time.sleep(0.5)
        busy2, mine2 = machine_busy(), own_cpu()
        others = max(0.0, (busy2 - busy) - (mine2 - mine)) / 0.5
        busy, mine = busy2, mine2
        quiet = quiet + 0.5 if others < IDLE_CORES else 0.0
        now = time.perf_counter()
        if now - started > args.idle_wait:
            report.finding(
                f"{label}: the machine was not idle within {args.idle_wait:g} s"
                f" (others used {others:.1f} cores): measured anyway"
            )
            break
        if now >= note:
            print(f"    waiting for an idle machine: others use {others:.1f} cores", flush=True)
            note += 15
    waited = time.perf_counter() - started
    if waited > IDLE_SECONDS + 1:
        print(f"    waited {waited:.0f} s for an idle machine", flush=True)
    return waited


# -- 1. in process ----------------------------------------------------------------------------


class TimedRenderer:
    """The desk's renderer, with each ``render`` call timed (same output)."""

    def __init__(self, inner: Renderer) -> None:
        self.inner = inner
        self.seconds: list[float] = []

    def render(self, content: ReportContent, meta: ReportMeta) -> bytes:
        started = time.perf_counter()
        try:
            return self.inner.render(content, meta)
        finally:
            self.seconds.append(time.perf_counter() - started)


@dataclass
class InProcess:
    store: str
    seconds: float
    reports: int
    reports_per_s: float
    p50_ms: float
    p90_ms: float
    mean_ms: float
    p99_ms: float
    max_ms: float
    render_p50_ms: float
    render_share: float
    cpu_per_report_ms: float
    postgres_cpu: float
    others_cpu: float
    idle_wait: float
    pdf_kib: float
    pages: list[int]
    records: list[int]
    ledger_rows: int
    ledger_unfinished: int
    verified: dict[str, str]
    text_missing: list[str]
    altered_status: str

    @property
    def ok(self) -> bool:
        return (
            self.ledger_rows == self.reports
            and self.ledger_unfinished == 0
            and set(self.records) == {RECORDS}
            and all(v == "authentic" for v in self.verified.values())
            and not self.text_missing
            and self.altered_status == "altered"
        )


def make_desk(url: str, group: Group, key: str) -> tuple[Store, ReportDesk, TimedRenderer]:
    settings = Settings(database_url=url, report_key=key, tenants_dir=DEMO_TENANTS)
    setup = open_reports(settings, load_theme())
    timed = TimedRenderer(setup.renderer)
    store = open_store(url)
    desk = ReportDesk(store.engine, {s.id: s for s in group}, timed, setup.signer)  # type: ignore[arg-type]
    return store, desk, timed


def bench_in_process(
    report: Report, args: argparse.Namespace, kind: str, url: str, group: Group, key: str,
    docs: list[str],
) -> InProcess:  # fmt: skip
    label = f"{kind}, in process"
    section(f"{kind}: in process, single-threaded, {args.warmup:g} + {args.seconds:g} s")
    store, desk, timed = make_desk(url, group, key)
    sites = list(group)
    issued = []
    latencies: list[float] = []
    sizes: list[int] = []
    pages: list[int] = []
    records: list[int] = []
    try:
        before = last_id(url)
        waited = wait_idle(report, args, label)
        begin = time.perf_counter()
        window_start, stop = begin + args.warmup, begin + args.warmup + args.seconds
        measuring = False
        n = renders0 = 0
        cpu0 = busy0 = pg0 = 0.0
        next_note = window_start + 5
        while (now := time.perf_counter()) < stop:
            if not measuring and now >= window_start:
                measuring, window_start, renders0 = True, now, len(timed.seconds)
                cpu0, busy0, pg0 = own_cpu(), machine_busy(), postgres_cpu()
            site: Site = sites[n % len(sites)]
            started = time.perf_counter()
            out = desk.issue(SUBJECT_CODE, site)
            took = time.perf_counter() - started
            n += 1
            records.append(out.content.total)
            if measuring:
                latencies.append(took)
                sizes.append(len(out.pdf))
                pages.append(page_count(out.pdf))
            if len(issued) < 3 or n % 50 == 0:
                issued.append(out)
            if time.perf_counter() >= next_note:
                elapsed = time.perf_counter() - window_start
                rate = len(latencies) / elapsed
                print(f"    {elapsed:5.1f} s: {len(latencies)} reports ({rate:.1f}/s)", flush=True)
                next_note += 5
        window = time.perf_counter() - window_start
        cpu = own_cpu() - cpu0
        pg_cpu = max(0.0, postgres_cpu() - pg0)
        others = max(0.0, machine_busy() - busy0 - cpu - pg_cpu)
        renders = timed.seconds[renders0:]
        ledger = read_ledger(url, before)
        sample = [issued[0], issued[len(issued) // 2], issued[-1]]
        verified = {}
        for item in sample:
            by_file = desk.check_file(item.pdf)
            by_code = desk.check_code(item.report_no, item.code)
            verified[item.report_no] = (
                by_file.status
                if by_code is not None and by_code.status == by_file.status
                else f"file {by_file.status}, code {by_code.status if by_code else 'not found'}"
            )
        missing = text_problems(sample[-1].pdf, sample[-1].report_no, docs)
        altered = desk.check_file(altered_copy(sample[0].pdf)).status
    finally:
        store.close()
    run = InProcess(
        store=kind,
        seconds=round(window, 2),
        reports=n,
        reports_per_s=len(latencies) / window if window else 0.0,
        p50_ms=1000 * percentile(latencies, 0.50),
        p90_ms=1000 * percentile(latencies, 0.90),
        mean_ms=1000 * sum(latencies) / max(1, len(latencies)),
        p99_ms=1000 * percentile(latencies, 0.99),
        max_ms=1000 * max(latencies, default=float("nan")),
        render_p50_ms=1000 * percentile(renders, 0.50),
        render_share=sum(renders) / sum(latencies) if latencies else 0.0,
        cpu_per_report_ms=1000 * cpu / max(1, len(latencies)),
        postgres_cpu=pg_cpu,
        others_cpu=others,
        idle_wait=round(waited, 1),
        pdf_kib=sum(sizes) / max(1, len(sizes)) / 1024,
        pages=sorted(set(pages)),
        records=sorted(set(records)),
        ledger_rows=ledger.rows,
        ledger_unfinished=ledger.unfinished,
        verified=verified,
        text_missing=missing,
        altered_status=altered,
    )
    record_in_process(report, label, run, sample[-1].report_no)
    return run


def record_in_process(report: Report, label: str, run: InProcess, last_no: str) -> None:
    met = "met" if run.reports_per_s >= TARGET_REPORTS_PER_S else "NOT met"
    report.add(
        f"{label}: reports/s",
        run.reports_per_s,
        "reports/s",
        f"target ≥ {TARGET_REPORTS_PER_S:g}: {met}; {run.reports} issued in all",
    )
    report.add(
        f"{label}: p50 (ms)",
        run.p50_ms,
        "ms",
        f"p90 {run.p90_ms:.1f}, p99 {run.p99_ms:.1f}, max {run.max_ms:.1f}; mean {run.mean_ms:.1f}",
    )
    report.add(
        f"{label}: render p50 (ms)",
        run.render_p50_ms,
        "ms",
        f"Renderer.render = {100 * run.render_share:.0f} % of issue(); the rest: gather + ledger",
    )
    report.add(
        f"{label}: CPU per report (ms)",
        run.cpu_per_report_ms,
        "ms",
        f"this process; in the window: postgres {run.postgres_cpu:.1f}, others"
        f" {run.others_cpu:.1f} CPU s in {run.seconds:.0f} s",
    )
    report.add(
        f"{label}: PDF size (KiB)",
        run.pdf_kib,
        "KiB",
        f"pages {run.pages}; records per report {run.records}",
    )
    report.add(
        f"{label}: ledger rows",
        run.ledger_rows,
        "rows",
        f"issued {run.reports} (warm-up included); unfinished {run.ledger_unfinished}",
    )
    print(f"    verify (file and code): {run.verified}; a byte-edited copy: {run.altered_status}")
    print(f"    text of {last_no}: missing {run.text_missing or 'nothing'}")
    if run.ledger_rows != run.reports or run.ledger_unfinished:
        report.finding(f"{label}: {run.ledger_rows} ledger rows for {run.reports} reports")
    if set(run.records) != {RECORDS}:
        report.finding(f"{label}: reports listed {run.records} records, not {RECORDS}")
    if not run.ok:
        report.finding(f"{label}: verification or text check failed (see above)")


class StageTimer:
    """Wraps a few functions of the report code to time them in process (wall clock)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextlib.contextmanager
    def patched(self) -> Iterator[None]:
        import segno

        from sitegroup.reports import desk, pdf, render

        targets: list[tuple[Any, str, str]] = [
            (desk, "gather", "gather: the subject's records from the store"),
            (render._Layout, "run", "render: layout (wrap, glyphs, text operators)"),
            (render._Layout, "title", "  of which the title block with the QR code"),
            (segno, "make", "    of which segno.make (the QR code)"),
            (render.Renderer, "_decorate", "render: header, footer, watermark tiles"),
            (render.Renderer, "watermark", "  of which the watermark image (Pillow)"),
            (pdf.Document, "output", "render: PDF output (font subsets, streams)"),
            (pdf.Document, "_write_font", "  of which font subsets + ToUnicode"),
            (pdf.zlib, "compress", "  of which zlib.compress (every stream)"),
        ]
        saved = [(obj, name, getattr(obj, name)) for obj, name, _ in targets]
        try:
            for obj, name, label in targets:
                setattr(obj, name, self._wrap(getattr(obj, name), label))
            yield
        finally:
            for obj, name, original in saved:
                setattr(obj, name, original)

    def _wrap(self, func: Callable[..., Any], label: str) -> Callable[..., Any]:
        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[label] = self.seconds.get(label, 0.0) + time.perf_counter() - started

        return timed


def bench_stages(
    report: Report, args: argparse.Namespace, url: str, group: Group, key: str
) -> None:
    """Where one report's time goes: ``--profile-n`` reports, each stage timed."""
    section(f"where the time goes: {args.profile_n} reports in process, by stage")
    store, desk, _ = make_desk(url, group, key)
    site = group[group.root]
    try:
        desk.issue(SUBJECT_CODE, site)  # fonts parsed, caches warm
        wait_idle(report, args, "stages")
        timer = StageTimer()
        with timer.patched():
            started = time.perf_counter()
            for _ in range(args.profile_n):
                desk.issue(SUBJECT_CODE, site)
            total = time.perf_counter() - started
    finally:
        store.close()
    n = args.profile_n
    top = [k for k in timer.seconds if not k.startswith(" ")]
    rest = total - sum(timer.seconds[k] for k in top)
    for label, seconds in timer.seconds.items():
        report.add(f"stage {label}", 1000 * seconds / n, "ms", f"{100 * seconds / total:.0f} %")
    report.add("stage ledger: number, hash, sign, commit (the rest)", 1000 * rest / n, "ms",
               f"{100 * rest / total:.0f} %")  # fmt: skip
    report.add("stage total: ReportDesk.issue", 1000 * total / n, "ms", f"{n} reports")


def profile_issue(args: argparse.Namespace, url: str, group: Group, key: str) -> None:
    section(f"cProfile: {args.profile_n} reports in process")
    store, desk, _ = make_desk(url, group, key)
    try:
        desk.issue(SUBJECT_CODE, group[group.root])  # fonts parsed, caches warm
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.profile_n):
            desk.issue(SUBJECT_CODE, group[group.root])
        profiler.disable()
        took = time.perf_counter() - started
    finally:
        store.close()
    text = io.StringIO()
    stats = pstats.Stats(profiler, stream=text)
    stats.sort_stats("tottime").print_stats(25)
    stats.sort_stats("cumulative").print_stats(r"sitegroup|PIL|segno|zlib|sqlalchemy", 30)
    (args.out / "profile.txt").write_text(text.getvalue(), encoding="utf-8")
    print(f"  {1000 * took / args.profile_n:.1f} ms per report under the profiler")
    lines = text.getvalue().splitlines()
    heads = [i for i, ln in enumerate(lines) if ln.lstrip().startswith("ncalls")]
    for title, head, count in (("own time", heads[0], 16), ("cumulative", heads[-1], 22)):
        print(f"  top by {title}:")
        for line in lines[head : head + count + 1]:
            print("   ", line[:160])
    print(f"  (all of it: {args.out / 'profile.txt'})")


# -- 2. over HTTP -----------------------------------------------------------------------------


@dataclass
class Answer:
    started: float
    seconds: float
    status: int
    content_type: str
    report_no: str
    size: int
    pdf: bytes | None = None  # kept for a sample only
    error: str = ""


def client_thread(
    base: str, sites: list[str], index: int, begin: float, stop: float, out: list[Answer]
) -> None:
    keep = {0, 5, 40}  # which answers of this thread keep their PDF (for verification)
    with httpx.Client(base_url=base, timeout=120.0) as client:
        n = 0
        while (started := time.perf_counter()) < stop:
            site = sites[(index + n) % len(sites)]
            try:
                resp = client.get(f"/api/reports/{SUBJECT_CODE}", params={"site": site})
            except httpx.HTTPError as exc:
                took = time.perf_counter() - started
                out.append(Answer(started - begin, took, 0, "", "", 0, error=repr(exc)[:300]))
                continue
            took = time.perf_counter() - started
            body = resp.content
            answer = Answer(
                started - begin,
                took,
                resp.status_code,
                resp.headers.get("content-type", ""),
                resp.headers.get("x-report-no", ""),
                len(body),
            )
            if resp.status_code != 200 or not body.startswith(b"%PDF-"):
                answer.error = body[:300].decode("utf-8", "replace")
            elif n in keep:
                answer.pdf = body
            out.append(answer)
            n += 1


@dataclass
class Http:
    store: str
    workers: int
    clients: int
    seconds: float
    reports_per_s: float
    p50_ms: float
    p90_ms: float
    mean_ms: float
    p99_ms: float
    max_ms: float
    received: int  # 200 application/pdf with a report number, whole run
    window_answers: int  # answers to requests started in the measured window
    errors: int
    duplicates: int
    pages: list[int]
    pdf_kib: float
    ledger_rows: int
    ledger_unfinished: int
    ledger_matches: bool
    verified: dict[str, str]
    verified_by_code: dict[str, str]
    text_missing: list[str]
    altered_status: str
    server_cpu: float
    server_cpu_per_process: list[float]
    client_cpu: float
    postgres_cpu: float
    others_cpu: float
    idle_wait: float
    exited_by_itself: bool
    error_samples: list[str]
    log_alarms: list[str]

    @property
    def ok(self) -> bool:
        return (
            self.errors == 0
            and self.duplicates == 0
            and self.ledger_matches
            and self.ledger_unfinished == 0
            and bool(self.verified)
            and all(v == "authentic" for v in self.verified.values())
            and all(v == "authentic" for v in self.verified_by_code.values())
            and not self.text_missing
            and self.altered_status == "altered"
            and self.exited_by_itself
        )


def drive(
    base: str, sites: list[str], args: argparse.Namespace, on_window: Callable[[], None]
) -> tuple[list[Answer], float]:
    """``--clients`` threads for ``--warmup`` + ``--seconds``; (answers, window seconds).
    ``on_window`` is called once when the warm-up ends."""
    begin = time.perf_counter()
    stop = begin + args.warmup + args.seconds
    outs: list[list[Answer]] = [[] for _ in range(args.clients)]
    threads = [
        threading.Thread(target=client_thread, args=(base, sites, i, begin, stop, outs[i]))
        for i in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    next_note = begin + args.warmup + 5
    marked = False
    while any(t.is_alive() for t in threads):
        time.sleep(0.05 if not marked else 0.2)
        if not marked and time.perf_counter() >= begin + args.warmup:
            on_window()
            marked = True
        if time.perf_counter() >= next_note and time.perf_counter() < stop:
            elapsed = time.perf_counter() - begin - args.warmup
            done = sum(1 for o in outs for a in o if a.started >= args.warmup)
            print(f"    {elapsed:5.1f} s: {done} reports ({done / elapsed:.1f}/s)", flush=True)
            next_note += 5
    window = time.perf_counter() - begin - args.warmup
    return [a for o in outs for a in o], window


def verify_over_http(
    base: str, sample: list[Answer], docs: list[str]
) -> tuple[dict[str, str], dict[str, str], list[str], str]:
    verified, by_code = {}, {}
    with httpx.Client(base_url=base, timeout=60.0) as client:
        for answer in sample:
            assert answer.pdf is not None
            resp = client.post(
                "/api/reports/verify",
                files={"file": (f"{answer.report_no}.pdf", answer.pdf, "application/pdf")},
            )
            data = resp.json()
            status = data.get("status", f"HTTP {resp.status_code}")
            if status == "authentic" and (
                data.get("report_no") != answer.report_no
                or data.get("subject", {}).get("name") != SUBJECT_NAME
            ):
                status = f"authentic, but for {data.get('report_no')} / {data.get('subject')}"
            verified[answer.report_no] = status
            code = printed_code(answer.pdf)
            resp = client.get(f"/api/reports/verify/{answer.report_no}", params={"code": code})
            by_code[answer.report_no] = (
                resp.json().get("status", "")
                if resp.status_code == 200
                else f"HTTP {resp.status_code}"
            )
        resp = client.post(
            "/api/reports/verify",
            files={"file": ("edited.pdf", altered_copy(sample[0].pdf or b""), "application/pdf")},
        )
        altered = resp.json().get("status", f"HTTP {resp.status_code}")
    missing = text_problems(sample[-1].pdf or b"", sample[-1].report_no, docs)
    return verified, by_code, missing, altered


def bench_http(
    report: Report, args: argparse.Namespace, kind: str, url: str, workers: int, key: str,
    sites: list[str], docs: list[str],
) -> Http:  # fmt: skip
    label = f"{kind}, HTTP, {workers} worker{'s' if workers > 1 else ''}"
    section(f"{label}: {args.clients} clients, {args.warmup:g} + {args.seconds:g} s")
    tmp = Path(tempfile.mkdtemp(prefix="api-", dir=args.out))
    env = {
        **os.environ,
        "SITEGROUP_DATABASE_URL": url,
        "SITEGROUP_TENANTS_DIR": str(DEMO_TENANTS),
        "SITEGROUP_SEARCH_PATH": str(tmp / "search.sqlite3"),
        "SITEGROUP_REPORT_KEY": key,
    }
    cmd = [str(BIN / "uvicorn"), "search_api.app:create_app", "--factory", "--host", HOST]
    cmd += ["--workers", str(workers), "--no-access-log", "--log-level", "warning"]
    log = args.out / f"uvicorn-{kind}-{workers}w.log"
    server = LoopbackServer(
        lambda port: [*cmd, "--port", str(port)], log, "/api/health", env=env, cwd=ROOT,
        name="uvicorn (API)",
    )  # fmt: skip
    before = last_id(url)
    try:
        server.start()
    except RuntimeError as error:
        shutil.rmtree(tmp, ignore_errors=True)
        raise SystemExit(str(error)) from None
    try:
        time.sleep(1.0 if workers > 1 else 0.2)  # every worker up, not only the first
        waited = wait_idle(report, args, label)
        at: dict[str, Any] = {}

        def window_starts() -> None:  # CPU counted over the measured window, not the warm-up
            at.update(cpu=tree_cpu(server.pid), client=own_cpu(), busy=machine_busy())
            at["pg"] = postgres_cpu()

        answers, window = drive(server.url, sites, args, window_starts)
        cpu0, client0, busy0, pg0 = at["cpu"], at["client"], at["busy"], at["pg"]
        used = tree_cpu(server.pid, cpu0)
        pg_cpu = max(0.0, postgres_cpu() - pg0)
        server_cpu = sum(user + system for user, system in used.values())
        per_process = sorted(round(user + system, 1) for user, system in used.values())
        client_cpu = own_cpu() - client0
        others = max(0.0, machine_busy() - busy0 - server_cpu - client_cpu - pg_cpu)
        good = [
            a
            for a in answers
            if a.status == 200 and a.content_type.startswith("application/pdf") and not a.error
            and _NUMBER.fullmatch(a.report_no)
        ]  # fmt: skip
        kept = [a for a in good if a.pdf is not None]
        sample = [kept[0], kept[len(kept) // 2], kept[-1]] if kept else []
        if sample:
            verified, by_code, missing, altered = verify_over_http(server.url, sample, docs)
        else:
            verified, by_code, missing, altered = {}, {}, ["no PDF received"], ""
        assert server.proc is not None
        stop_process(server.proc, timeout=args.stop_timeout)
        # uvicorn re-raises SIGTERM after a graceful shutdown: -15 is clean, -9 is not.
        exited = server.proc.returncode not in (None, -9)
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    ledger = read_ledger(url, before)
    numbers = [a.report_no for a in good]
    in_window = [a for a in answers if a.started >= args.warmup]
    latencies = [a.seconds for a in in_window]
    good_ids = {id(a) for a in good}
    window_good = [a for a in in_window if id(a) in good_ids]
    bad = [a for a in answers if id(a) not in good_ids]
    text = log.read_text(encoding="utf-8", errors="replace")
    alarms = [line for line in text.splitlines() if any(m in line for m in LOG_ALARMS)]
    run = Http(
        store=kind,
        workers=workers,
        clients=args.clients,
        seconds=round(window, 2),
        reports_per_s=len(window_good) / window if window else 0.0,
        p50_ms=1000 * percentile(latencies, 0.50),
        p90_ms=1000 * percentile(latencies, 0.90),
        mean_ms=1000 * sum(latencies) / max(1, len(latencies)),
        p99_ms=1000 * percentile(latencies, 0.99),
        max_ms=1000 * max(latencies, default=float("nan")),
        received=len(good),
        window_answers=len(in_window),
        errors=len(bad),
        duplicates=len(numbers) - len(set(numbers)),
        pages=sorted({page_count(a.pdf) for a in kept if a.pdf}),
        pdf_kib=sum(a.size for a in good) / max(1, len(good)) / 1024,
        ledger_rows=ledger.rows,
        ledger_unfinished=ledger.unfinished,
        ledger_matches=ledger.numbers == set(numbers) and ledger.rows == len(numbers),
        verified=verified,
        verified_by_code=by_code,
        text_missing=missing,
        altered_status=altered,
        server_cpu=server_cpu,
        server_cpu_per_process=per_process,
        client_cpu=client_cpu,
        postgres_cpu=pg_cpu,
        others_cpu=others,
        idle_wait=round(waited, 1),
        exited_by_itself=exited,
        error_samples=[f"{a.status} {a.content_type} {a.error}"[:300] for a in bad[:5]],
        log_alarms=alarms[:20],
    )
    record_http(report, label, run)
    return run


def record_http(report: Report, label: str, run: Http) -> None:
    met = "met" if run.reports_per_s >= TARGET_REPORTS_PER_S else "NOT met"
    report.add(
        f"{label}: reports/s",
        run.reports_per_s,
        "reports/s",
        f"target ≥ {TARGET_REPORTS_PER_S:g}: {met}; {run.received} received in all",
    )
    report.add(
        f"{label}: p50 (ms)",
        run.p50_ms,
        "ms",
        f"p90 {run.p90_ms:.1f}, p99 {run.p99_ms:.1f}, max {run.max_ms:.1f}; mean {run.mean_ms:.1f}",
    )
    report.add(
        f"{label}: errors",
        run.errors,
        "requests",
        f"duplicate numbers {run.duplicates}; PDF pages {run.pages}, {run.pdf_kib:.1f} KiB",
    )
    per_report = 1000 / max(1, run.window_answers)
    busy = run.server_cpu + run.client_cpu + run.postgres_cpu + run.others_cpu
    share = busy / (run.seconds * (os.cpu_count() or 1))
    report.add(
        f"{label}: server CPU per report (ms)",
        run.server_cpu * per_report,
        "ms",
        f"per process {run.server_cpu_per_process}; machine busy {100 * share:.0f} %: client"
        f" {run.client_cpu:.1f}, postgres {run.postgres_cpu:.1f}, others {run.others_cpu:.1f}"
        " CPU s",
    )
    verdict = "ok" if run.ledger_matches and not run.ledger_unfinished else "MISMATCH"
    report.add(
        f"{label}: ledger rows",
        run.ledger_rows,
        "rows",
        f"received {run.received}: {verdict}; unfinished {run.ledger_unfinished}",
    )
    print(f"    POST /api/reports/verify: {run.verified}; a byte-edited copy: {run.altered_status}")
    print(f"    GET /api/reports/verify/{{no}}?code=<printed code>: {run.verified_by_code}")
    print(f"    text of the last sample: missing {run.text_missing or 'nothing'}")
    for sample in run.error_samples:
        print(f"    error: {sample}")
    if not run.ledger_matches or run.ledger_unfinished:
        report.finding(
            f"{label}: ledger {run.ledger_rows} rows ({run.ledger_unfinished} unfinished),"
            f" received {run.received} reports"
        )
    if run.errors or run.duplicates:
        report.finding(f"{label}: {run.errors} errors, {run.duplicates} duplicate numbers")
    if not run.exited_by_itself:
        report.finding(f"{label}: the server did not exit by itself")
    if not run.ok:
        report.finding(f"{label}: verification or text check failed (see above)")
    for line in run.log_alarms[:5]:
        report.finding(f"{label}: server log: {line[:200]}")


# -- main -------------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    out = {"sqlite": sqlite3.sqlite_version}
    for dist in ("fastapi", "uvicorn", "sqlalchemy", "psycopg", "pillow", "segno", "httpx"):
        try:
            out[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="5 s runs")
    parser.add_argument("--seconds", type=float, default=None, help="measured (default 30)")
    parser.add_argument("--warmup", type=float, default=2.0, help="before measuring (default 2)")
    parser.add_argument("--clients", type=int, default=4, help="HTTP client threads (4)")
    parser.add_argument(
        "--workers",
        default=DEFAULT_WORKERS,
        help=f"uvicorn worker counts, comma-separated (default {DEFAULT_WORKERS}); 0: no HTTP",
    )
    parser.add_argument(
        "--stores", default=",".join(STORES), help="comma-separated: sqlite, postgresql"
    )
    parser.add_argument("--pg-url", default=PG_URL, help=f"admin URL (default {PG_URL})")
    parser.add_argument("--stop-timeout", type=float, default=60.0, help="SIGKILL after (s)")
    parser.add_argument(
        "--idle-wait",
        type=float,
        default=180.0,
        help="before each run, wait at most this long for other sessions to go quiet (180; 0: no)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile the in-process issue")
    parser.add_argument("--profile-n", type=int, default=30, help="reports profiled (30)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out" / "reports")
    args = parser.parse_args(argv)
    if args.seconds is None:
        args.seconds = 5.0 if args.quick else 30.0
    stores = [x.strip() for x in args.stores.split(",") if x.strip()]
    if unknown := set(stores) - set(STORES):
        parser.error(f"unknown stores: {', '.join(sorted(unknown))}")
    workers = [int(x) for x in args.workers.split(",") if x.strip() and int(x) > 0]

    report = Report({})
    report.info = machine_info() | versions()
    report.print_info()
    args.out.mkdir(parents=True, exist_ok=True)
    group = load_group(DEMO_TENANTS, load_theme())
    sites = [site.id for site in group]
    key = secrets.token_hex(32)  # one signing key for this run: every worker, every phase
    today = datetime.now(CST).date()
    print(f"  subject: {SUBJECT_NAME} {SUBJECT_CODE}, {RECORDS} records; {len(sites)} sites")

    local: list[InProcess] = []
    http: list[Http] = []
    staged = False
    for kind in stores:
        if kind == "postgresql" and (why := postgres_reachable(args.pg_url)):
            report.finding(f"PostgreSQL at {args.pg_url} not reachable ({why}): skipped")
            continue
        with store_url(kind, args.out, args.pg_url, "bench_reports") as url:
            section(f"{kind}: the demo push + {RECORDS} records of the subject")
            started = time.perf_counter()
            work = Path(tempfile.mkdtemp(prefix="push-", dir=args.out))
            try:
                with open_store(url) as store:
                    docs = fill_store(store, group, work, today)
            finally:
                shutil.rmtree(work, ignore_errors=True)
            print(f"  pushed in {time.perf_counter() - started:.1f} s")
            run = bench_in_process(report, args, kind, url, group, key, docs)
            local.append(run)
            if not staged:  # the first store only
                bench_stages(report, args, url, group, key)
                if args.profile or run.reports_per_s < TARGET_REPORTS_PER_S:
                    profile_issue(args, url, group, key)
                staged = True
            for count in workers:
                http.append(bench_http(report, args, kind, url, count, key, sites, docs))

    section("results")
    print(report.table())
    name = f"results{'-quick' if args.quick else ''}.json"
    report.save(
        args.out / name,
        in_process=[asdict(r) | {"ok": r.ok} for r in local],
        http=[asdict(r) | {"ok": r.ok} for r in http],
    )
    for r in http:
        if not r.ok:
            print(f"FAILED: {r.store}, {r.workers} worker(s): see the findings; server log:")
            print(log_tail(args.out / f"uvicorn-{r.store}-{r.workers}w.log", 10))
    return verdict(local, http, stores, bool(workers))


def verdict(local: list[InProcess], http: list[Http], stores: list[str], with_http: bool) -> int:
    """Print the PASS / FAIL line against the target; the exit status."""
    lines, passed = [], bool(local)
    for run in local:
        best = max(
            (h for h in http if h.store == run.store), key=lambda h: h.reports_per_s, default=None
        )
        ok = run.ok and run.reports_per_s >= TARGET_REPORTS_PER_S
        part = f"{run.store}: in process {run.reports_per_s:.1f}/s"
        if with_http:
            if best is None:
                ok = False
                part += ", HTTP not measured"
            else:
                ok = ok and best.reports_per_s >= TARGET_REPORTS_PER_S
                ok = ok and all(h.ok for h in http if h.store == run.store)
                part += f", HTTP {best.reports_per_s:.1f}/s ({best.workers} worker(s))"
        lines.append(part + ("" if ok else " ✗"))
        passed = passed and ok
    skipped = [s for s in stores if s not in {r.store for r in local}]
    if skipped:
        lines.append(f"not measured: {', '.join(skipped)}")
    word = "PASS" if passed else "FAIL"
    print(f"\n{word}: target ≥ {TARGET_REPORTS_PER_S:g} reports/s, {RECORDS} records, checks"
          f" included — {'; '.join(lines)}")  # fmt: skip
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
