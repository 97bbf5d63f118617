"""Generate `data/sample-directory.json`: a fake but realistic directory for tests and `make run`.

Deterministic (fixed seed): running it again produces the same file byte for byte, so the
committed file and this script never drift. Names, phones and addresses are invented
(phones in the 138-0000 test range); no real person is described.

    .venv/bin/python scripts/make_sample_directory.py [--output PATH] [--seed N]

Other tests rely on the stable IDs listed in data/README.md; keep them when changing this.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT = REPO_ROOT / "data" / "sample-directory.json"
SEED = 20261120
SUBSCRIBERS = 300

# (area_id, name, setting, company, households, technicians, district, growth_target)
# Staffing (R3.1, norms 4,500 city / 2,000 county households per technician):
# over the norm: A-HF-01 (6,000), A-HF-03 (14,500), A-FD-01 (3,600), A-FD-03 (5,200);
# under it: A-HF-02 (4,000), A-HF-04 (4,300), A-FD-02 (1,900).
AREAS: list[tuple[str, str, str, str, int, int, str, int]] = [
    ("A-HF-01", "蜀山服务区", "urban", "city", 12000, 2, "合肥市蜀山区", 360),
    ("A-HF-02", "包河服务区", "urban", "city", 8000, 2, "合肥市包河区", 240),
    ("A-HF-03", "庐阳服务区", "urban", "city", 14500, 1, "合肥市庐阳区", 420),
    ("A-HF-04", "瑶海服务区", "urban", "city", 8600, 2, "合肥市瑶海区", 260),
    ("A-FD-01", "店埠镇服务区（县城）", "urban", "county", 7200, 2, "肥东县店埠镇", 150),
    ("A-FD-02", "撮镇服务区", "rural", "county", 3800, 2, "肥东县撮镇镇", 60),
    ("A-FD-03", "长临河服务区", "rural", "county", 5200, 1, "肥东县长临河镇", 80),
]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余"
    "于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉鹏飞斌宇浩凯琳晨"
    "欣怡佳雪梅海波志春燕晓东振"
)
STREETS = [
    "长江路",
    "和平路",
    "建设路",
    "人民路",
    "胜利路",
    "青年路",
    "文化路",
    "解放路",
    "团结路",
    "兴业路",
]
COMMUNITIES = ["幸福", "阳光", "锦绣", "和谐", "翠竹", "金桂", "绿园", "春晖", "丽景", "安居"]
VILLAGES = ["王庄村", "李圩村", "张集村", "陈岗村", "杨湾村", "刘河村", "桥头村", "新塘村"]
BUSINESSES = [
    "大酒店",
    "商贸有限公司",
    "宾馆",
    "中心医院",
    "实验学校",
    "物流园",
    "大厦物业",
    "影城",
]
COMPANY_STAFF = {
    "city": ("HF", "A-HF-01"),
    "county": ("FD", "A-FD-01"),
}
# (四)2 the company tree: the province company, a city company and a county branch;
# (一)5 their business outlets; (三)5 the branch heads (published). No RNG: names fixed.
COMPANIES: list[dict[str, Any]] = [
    {"company_id": "PROV", "name": "省广电网络公司", "level": "province", "parent_id": None,
     "head_staff_id": None, "phone": "0551-96335"},
    {"company_id": "HF", "name": "合肥市分公司", "level": "city", "parent_id": "PROV",
     "head_staff_id": "LDR-HF", "phone": "0551-65000000"},
    {"company_id": "FD", "name": "肥东县分公司", "level": "county", "parent_id": "PROV",
     "head_staff_id": "LDR-FD", "phone": "0551-67700000"},
]  # fmt: skip
OUTLETS: list[dict[str, Any]] = [
    {"outlet_id": "OUT-HF-1", "company_id": "HF", "name": "蜀山营业厅",
     "address": "合肥市蜀山区长江西路100号", "phone": "0551-65000011", "hours": "08:30-17:30"},
    {"outlet_id": "OUT-HF-2", "company_id": "HF", "name": "包河营业厅",
     "address": "合肥市包河区徽州大道200号", "phone": "0551-65000012", "hours": "08:30-17:30"},
    {"outlet_id": "OUT-FD-1", "company_id": "FD", "name": "店埠营业厅",
     "address": "肥东县店埠镇龙泉路10号", "phone": "0551-67700011", "hours": "08:00-17:00"},
]  # fmt: skip
HALL_STAFF = {"CTR-HF-1": "OUT-HF-1", "CTR-HF-2": "OUT-HF-2", "WL-HF": "OUT-HF-1",
              "CTR-FD-1": "OUT-FD-1", "WL-FD": "OUT-FD-1"}  # fmt: skip
FEE_FIRST = date(2026, 11, 20)
FEE_LAST = date(2027, 2, 28)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.used_names: set[str] = set()
        self.phone_seq = 0

    def person(self) -> str:
        while True:
            name = self.rng.choice(SURNAMES) + "".join(
                self.rng.choice(GIVEN) for _ in range(self.rng.choice((1, 2)))
            )
            if name not in self.used_names:
                self.used_names.add(name)
                return name

    def phone(self) -> str:
        self.phone_seq += 1
        return f"1380000{self.phone_seq:04d}"

    def address(self, area: tuple[str, str, str, str, int, int, str, int]) -> str:
        district, setting = area[6], area[2]
        if setting == "rural":
            village = self.rng.choice(VILLAGES)
            return f"{district}{village}{self.rng.randint(1, 12)}组{self.rng.randint(1, 80)}号"
        return (
            f"{district}{self.rng.choice(STREETS)}{self.rng.randint(1, 399)}号"
            f"{self.rng.choice(COMMUNITIES)}小区{self.rng.randint(1, 30)}栋"
            f"{self.rng.randint(1, 4)}单元{self.rng.randint(1, 18)}0{self.rng.randint(1, 4)}室"
        )


def _staff(
    gen: Generator, staff_id: str, rank: int, role: str, area_id: str, *, certified: bool = True
) -> dict[str, Any]:
    return {
        "staff_id": staff_id,
        "name": gen.person(),
        "rank": rank,
        "roles": [role],
        "area_id": area_id,
        "certified_roles": [role] if certified else [],
        "phone": gen.phone(),
        "photo_ref": f"photos/{staff_id}.jpg",
    }


def build(seed: int = SEED) -> dict[str, list[dict[str, Any]]]:
    gen = Generator(seed)
    areas: list[dict[str, Any]] = []
    staff: list[dict[str, Any]] = []
    for n, area in enumerate(AREAS, start=1):
        area_id, name, setting, company, households, technicians, _district, growth = area
        suffix = area_id.removeprefix("A-")
        areas.append(
            {
                "area_id": area_id,
                "name": name,
                "setting": setting,
                "company": company,
                "households": households,
                "technician_id": f"T-{suffix}-1",  # R3.1 the responsible maintenance person
                "service_phone": f"0551-6500{n:02d}01",
                "supervision_phone": f"0551-6500{n:02d}09",
                "growth_target": growth,
                "branch_id": "HF" if company == "city" else "FD",
                "boundary": f"{_district}（{name}）",
            }
        )
        for t in range(1, technicians + 1):
            staff.append(_staff(gen, f"T-{suffix}-{t}", 2, "technician", area_id))
        staff.append(_staff(gen, f"SUP-{suffix}", 6, "supervisor", area_id))
    for code, first_area in COMPANY_STAFF.values():
        staff += [
            _staff(gen, f"LDR-{code}", 8, "leader", first_area),
            _staff(gen, f"BL-{code}", 5, "business_lead", first_area),
            _staff(gen, f"DSP-{code}", 3, "dispatcher", first_area),
            _staff(gen, f"CB-{code}-1", 2, "callback", first_area),
            _staff(gen, f"WL-{code}", 4, "window_lead", first_area),
        ]
        counters = 2 if code == "HF" else 1
        staff += [
            _staff(gen, f"CTR-{code}-{i}", 1, "counter", first_area) for i in range(1, counters + 1)
        ]
    # R8.1: a technician in training holds the role but no certificate; never given cases.
    staff.append(_staff(gen, "T-HF-TRAINEE", 1, "technician", "A-HF-01", certified=False))
    subscribers = _subscribers(gen)
    # Added after the random draws, so names and phones above stay as they were.
    _add_reporting_lines(staff)
    staff.append(
        {
            "staff_id": "SO-PROV",  # (六)4 监督机构: the provincial supervision office
            "name": "省公司服务监督室",
            "rank": 9,
            "roles": ["supervision_office"],
            "area_id": None,
            "certified_roles": ["supervision_office"],
            "phone": "13800009999",
            "photo_ref": None,
        }
    )
    # (四)4: one address where the network is still being built (data/README.md).
    subscribers[NETWORK_PENDING_INDEX]["network_built"] = False
    for person in staff:
        if person["staff_id"] in HALL_STAFF:
            person["outlet_id"] = HALL_STAFF[person["staff_id"]]
    return {
        "companies": COMPANIES,
        "outlets": OUTLETS,
        "areas": areas,
        "staff": staff,
        "subscribers": subscribers,
    }


NETWORK_PENDING_INDEX = 4  # SUB-000005


def _add_reporting_lines(staff: list[dict[str, Any]]) -> None:
    """(六)4 下級的責任，由上級...予以追究: everyone's superior. Technicians report to their
    area's supervisor; supervisors, business leads, dispatchers and window leads to their
    company's leader; callback agents and counter clerks to the window lead."""
    company_of_area = {a[0]: a[3] for a in AREAS}
    code_of_company = {company: code for company, (code, _area) in COMPANY_STAFF.items()}
    for person in staff:
        sid, role = person["staff_id"], person["roles"][0]
        code = code_of_company[company_of_area[person["area_id"]]]
        if role == "technician":
            area = person["area_id"].removeprefix("A-")
            person["reports_to"] = f"SUP-{area}"
        elif role in ("supervisor", "business_lead", "dispatcher", "window_lead"):
            person["reports_to"] = f"LDR-{code}"
        elif role in ("callback", "counter"):
            person["reports_to"] = f"WL-{code}"
        assert person.get("reports_to") != sid


def _subscribers(gen: Generator) -> list[dict[str, Any]]:
    by_id = {a[0]: a for a in AREAS}
    # The four fixtures other tests name: (area, key_account, hardship).
    fixed = [("A-HF-01", True, False), ("A-HF-01", False, False), ("A-FD-02", False, False)]
    fixed.append(("A-FD-03", False, True))
    rest = SUBSCRIBERS - len(fixed)
    weights = [a[4] for a in AREAS]
    areas = [a[0] for a in AREAS]
    # Every area gets subscribers; the rest follow the households.
    placed = areas + gen.rng.choices(areas, weights=weights, k=rest - len(areas))
    gen.rng.shuffle(placed)
    picks = list(range(len(fixed), SUBSCRIBERS))
    key_accounts = set(gen.rng.sample(picks, 8))  # with SUB-000001: 9 of 300, 3 %
    hardship = set(gen.rng.sample([i for i in picks if i not in key_accounts], 14))  # 15, 5 %
    span = (FEE_LAST - FEE_FIRST).days
    rows = []
    for i in range(SUBSCRIBERS):
        if i < len(fixed):
            area_id, key, poor = fixed[i]
        else:
            area_id, key, poor = placed[i - len(fixed)], i in key_accounts, i in hardship
        area = by_id[area_id]
        name = (area[6][-3:-1] + gen.rng.choice(BUSINESSES)) if key else gen.person()
        rows.append(
            {
                "subscriber_id": f"SUB-{i + 1:06d}",
                "name": name,
                "phone": gen.phone(),
                "address": gen.address(area),
                "area_id": area_id,
                "key_account": key,
                "hardship": poor,  # R9.8 reduced tariff
                "fee_expires_on": (
                    FEE_FIRST + timedelta(days=gen.rng.randint(0, span))
                ).isoformat(),
            }
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    doc = build(args.seed)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    sys.stdout.write(
        f"wrote {args.output}: {len(doc['areas'])} areas, {len(doc['staff'])} staff, "
        f"{len(doc['subscribers'])} subscribers\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
