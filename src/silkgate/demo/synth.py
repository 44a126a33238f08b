"""Realistic synthetic identities for the demo and the benchmarks: valid USCCs and customs codes,
resident ID numbers with correct check digits, Chinese names, phones and addresses.

Nothing here is a real person or company; the check digits are real so the validators pass.
"""

from __future__ import annotations

import datetime as dt
import random

from silkgate.kit.checkdigits import (
    USCC_ALPHABET,
    organisation_code_check_char,
    resident_id_check_char,
    uscc_check_char,
)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉萍红鹏飞建国志宏海燕文斌浩宇欣怡子涵梓萱一诺雨桐思远俊杰嘉怡晨阳佳琪"
PROVINCE_DIVISIONS = {
    "110000": ["110101", "110105", "110108"],
    "310000": ["310101", "310104", "310115"],
    "440000": ["440103", "440305", "440606"],
    "330000": ["330102", "330106", "330782"],
    "320000": ["320102", "320505", "320211"],
    "510000": ["510104", "510107"],
    "420000": ["420102", "420106"],
    "140000": ["140802", "140821", "140202"],
    "370000": ["370402", "370811", "370902"],
    "450000": ["451102", "451121"],
    "220000": ["222401", "222403"],
    "610000": ["610113"],
}
STREETS = ["人民路", "解放路", "中山路", "建设路", "和平街", "新华路", "文化路", "胜利街", "长江路", "黄河路"]
CITY_NAMES = {
    "110000": "北京市",
    "310000": "上海市",
    "440000": "广东省广州市",
    "330000": "浙江省杭州市",
    "320000": "江苏省南京市",
    "510000": "四川省成都市",
    "420000": "湖北省武汉市",
    "140000": "山西省运城市",
    "370000": "山东省济宁市",
    "450000": "广西贺州市",
    "220000": "吉林省延吉市",
    "610000": "陕西省西安市",
}


def uscc(rng: random.Random, division: str, authority: str = "9", kind: str = "1") -> str:
    """A USCC with valid GB 11714 organisation code and GB 32100 check character."""
    org8 = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    org_check = organisation_code_check_char(org8)
    if org_check not in USCC_ALPHABET:  # 'X' is fine; anything else outside the alphabet -> retry
        return uscc(rng, division, authority, kind)
    first17 = authority + kind + division + org8 + org_check
    return first17 + uscc_check_char(first17)


def customs_code(rng: random.Random, division: str) -> str:
    """海关注册编码: 4-digit division prefix, zone type, enterprise type, 4-digit sequence."""
    return division[:4] + rng.choice("0123456789") + rng.choice("169B") + f"{rng.randrange(10000):04d}"


def resident_id(
    rng: random.Random, *, min_age: int = 18, max_age: int = 65, today: dt.date | None = None
) -> str:
    today = today or dt.date(2026, 1, 1)
    province = rng.choice(list(PROVINCE_DIVISIONS))
    division = rng.choice(PROVINCE_DIVISIONS[province])
    born = today - dt.timedelta(days=rng.randint(min_age * 365, max_age * 365))
    first17 = division + born.strftime("%Y%m%d") + f"{rng.randrange(1000):03d}"
    return first17 + resident_id_check_char(first17)


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    return (
        rng.choice(["138", "139", "150", "151", "186", "187", "177", "199"]) + f"{rng.randrange(10**8):08d}"
    )


def address(rng: random.Random, province: str | None = None) -> str:
    province = province or rng.choice(list(CITY_NAMES))
    return f"{CITY_NAMES.get(province, '北京市')}{rng.choice(STREETS)}{rng.randint(1, 999)}号{rng.randint(1, 30)}栋{rng.randint(101, 2808)}室"
