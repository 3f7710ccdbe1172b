"""One filter from text to items: requests composed from EN and ZH phrases go through the CLI and
the API, and every returned item is re-checked against its catalogue row."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from typer.testing import CliRunner

from lingxi.api.app import create_app
from lingxi.api.services import get_guide
from lingxi.cli import guide as cli_guide
from lingxi.config import Settings
from lingxi.data import Database
from lingxi.data.repos.demo import demo_file
from lingxi.guide import ProductFacts, ProductQuery, ShoppingGuide
from lingxi.guide.catalogue import violations
from lingxi.guide.inci import load_inci, split_label
from tests.helpers import seed, sign_in

_CATEGORY = {
    "Cleanser": (("cleanser", "face wash"), ("洗面奶", "洁面")),
    "Moisturizer": (("moisturizer", "face cream"), ("面霜", "乳液")),
    "Face Mask": (("face mask", "mask"), ("面膜",)),
    "Treatment": (("serum", "toner"), ("精华", "爽肤水")),
    "Eye cream": (("eye cream",), ("眼霜",)),
    "Sun protect": (("sunscreen", "spf"), ("防晒霜", "防晒")),
}
_SKIN = {
    "oily": ("oily skin", "油皮"),
    "dry": ("dry skin", "干皮"),
    "sensitive": ("sensitive skin", "敏感肌"),
    "combination": ("combination skin", "混合皮"),
    "normal": ("normal skin", "中性皮肤"),
}
_INGREDIENT = {
    "alcohol": ("alcohol", "酒精"),
    "fragrance": ("fragrance", "香精"),
    "parabens": ("parabens", "尼泊金"),
    "sulfates": ("sulfates", "硫酸盐"),
    "mineral oil": ("mineral oil", "矿物油"),
    "niacinamide": ("niacinamide", "烟酰胺"),
    "hyaluronic acid": ("hyaluronic acid", "玻尿酸"),
    "salicylic acid": ("salicylic acid", "水杨酸"),
}
# Catalogue spelling, how an English and a Chinese shopper name it (common words need a cue).
_BRAND = {
    "COOLA": ("COOLA", "COOLA的"),
    "ORIGINS": ("from Origins", "悦木之源的"),
    "FRESH": ("from Fresh", "馥蕾诗的"),
    "CLINIQUE": ("Clinique", "倩碧的"),
    "BOSCIA": ("Boscia", "Boscia的"),
    "KATE SOMERVILLE": ("Kate Somerville", "Kate Somerville的"),
    "MURAD": ("Murad", "Murad的"),
    "SHISEIDO": ("Shiseido", "资生堂的"),
}
_RATE = 7.2


@dataclass(frozen=True)
class Request:
    """A composed request and the hard constraints it states."""

    text: str
    lang: str
    category: str | None = None
    skin: str | None = None
    max_minor: int | None = None
    brand: str | None = None
    exclude: tuple[str, ...] = ()
    include: tuple[str, ...] = field(default=())

    def need(self) -> ProductQuery:
        """The same constraints as a parsed need, for the reference check."""
        return ProductQuery(
            text=self.text,
            category=self.category,
            skin_types=(self.skin,) if self.skin else (),
            max_price_minor=self.max_minor,
            brands=(self.brand,) if self.brand else (),
            exclude_ingredients=self.exclude,
            include_ingredients=self.include,
        )


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """A shopping request in English or Chinese, built from phrases whose meaning is known."""
    zh = draw(st.booleans())
    lang = "zh" if zh else "en"
    i = 1 if zh else 0
    category = draw(st.sampled_from(sorted(_CATEGORY)))
    parts = [draw(st.sampled_from(_CATEGORY[category][i]))]
    skin = draw(st.one_of(st.none(), st.sampled_from(sorted(_SKIN))))
    if skin:
        parts.append(_SKIN[skin][i] if zh else f"for {_SKIN[skin][i]}")
    amount = draw(st.one_of(st.none(), st.integers(10, 120)))
    max_minor = None
    if amount is not None:
        if zh:
            yuan = amount * 5
            parts.append(draw(st.sampled_from([f"{yuan}块以内", f"{yuan}元以下", f"预算{yuan}元"])))
            max_minor = round(round(yuan / _RATE, 2) * 100)
        else:
            parts.append(f"under ${amount}")
            max_minor = amount * 100
    brand = draw(st.one_of(st.none(), st.sampled_from(sorted(_BRAND))))
    names = sorted(_INGREDIENT)
    exclude = draw(st.lists(st.sampled_from(names), max_size=2, unique=True))
    include = draw(
        st.lists(st.sampled_from([n for n in names if n not in exclude]), max_size=1, unique=True)
    )
    for name in exclude:
        word = _INGREDIENT[name][i]
        parts.append(f"不含{word}" if zh else f"without {word}")
    for name in include:
        word = _INGREDIENT[name][i]
        parts.append(f"含{word}" if zh else f"with {word}")
    parts = draw(st.permutations(parts))
    text = "，".join(parts) if zh else ", ".join(parts)
    if brand:
        text = f"{_BRAND[brand][1]}{text}" if zh else f"{text} {_BRAND[brand][0]}"
    return Request(
        text=text,
        lang=lang,
        category=category,
        skin=skin,
        max_minor=max_minor,
        brand=brand,
        exclude=tuple(sorted(exclude)),
        include=tuple(sorted(include)),
    )


@dataclass(frozen=True)
class Row:
    """A catalogue row as the CSV gives it (independent of the guide's own reading)."""

    label: str
    brand: str
    price_minor: int
    skin: frozenset[str]
    ingredients: frozenset[str] | None
    """Canonical ingredient names, or ``None`` when the row lists none."""


@pytest.fixture(scope="module")
def rows() -> dict[int, Row]:
    """The demo CSV's rows, numbered 1..n as the catalogue is."""
    out = {}
    with demo_file("cosmetics.csv").open(encoding="utf-8-sig", newline="") as fh:
        for n, r in enumerate(csv.DictReader(fh), start=1):
            label = split_label(r["Ingredients"])
            out[n] = Row(
                label=r["Label"].strip(),
                brand=r["Brand"].strip(),
                price_minor=round(float(r["Price"]) * 100),
                skin=frozenset(t for t in _SKIN if r[t.capitalize()].strip() == "1"),
                ingredients=load_inci().canonicals_in(label) if label else None,
            )
    return out


def _broken(item: dict[str, object], row: Row, req: Request) -> set[str]:
    out = set()
    # A corrected label must be said: the item's category is the one asked for, and either the
    # catalogue's label agrees or the item carries the flag explaining why it differs.
    if req.category and not (
        item["category"] == req.category and (row.label == req.category or item["category_flag"])
    ):
        out.add("category")
    if req.skin and req.skin not in row.skin:
        out.add("skin_types")
    if req.max_minor is not None and row.price_minor > req.max_minor:
        out.add("price")
    if req.brand and row.brand != req.brand:
        out.add("brands")
    known = row.ingredients
    if req.exclude and (known is None or set(req.exclude) & known):
        out.add("exclude_ingredients")
    if req.include and (known is None or not set(req.include) <= known):
        out.add("include_ingredients")
    return out


def _check(
    doc: dict[str, object], req: Request, rows: dict[int, Row], products: list[ProductFacts]
) -> None:
    relaxed = set(doc["relaxed"])  # type: ignore[arg-type]
    items: list[dict[str, object]] = doc["items"]  # type: ignore[assignment]
    for item in items:
        broken = _broken(item, rows[int(item["id"])], req)  # type: ignore[call-overload]
        assert broken <= relaxed, (req.text, item["name"], broken, doc["relaxed"])
        assert "exclude_ingredients" not in broken
    for item in doc["ingredients_not_listed"]:  # type: ignore[attr-defined]
        assert rows[int(item["id"])].ingredients is None
    if not relaxed and items:
        # The message's count is the count that truly meets every constraint.
        true_count = sum(1 for p in products if not violations(p, req.need()))
        claimed = int(re.findall(r"\d+", str(doc["message"]))[0])
        assert claimed == true_count, (req.text, doc["message"], true_count)
    if req.lang == "zh":
        assert all("¥" in str(i["display_price"]) for i in items), req.text


@pytest.fixture(scope="module")
def cli_runner(demo_guide: ShoppingGuide) -> Iterator[CliRunner]:
    """The CLI with its guide built over the demo catalogue (no database needed)."""
    mp = pytest.MonkeyPatch()
    mp.setattr(cli_guide, "_guide", lambda: (None, demo_guide))
    yield CliRunner()
    mp.undo()


@hsettings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(req=requests())
def test_cli_items_meet_the_stated_constraints(
    cli_runner: CliRunner,
    rows: dict[int, Row],
    demo_products: list[ProductFacts],
    req: Request,
) -> None:
    """`lingxi guide recommend TEXT --json`: each item meets every stated constraint unless the
    reply names it as relaxed; avoided ingredients are never relaxed; the count is true."""
    r = cli_runner.invoke(cli_guide.app, ["recommend", req.text, "--k", "10", "--json"])
    assert r.exit_code == 0, r.output
    _check(json.loads(r.stdout), req, rows, demo_products)


@pytest.fixture(scope="module")
def api(
    demo_guide: ShoppingGuide, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app on a seeded SQLite database, its guide over the demo catalogue, signed in."""
    from lingxi.data import upgrade

    path = tmp_path_factory.mktemp("api") / "lingxi.db"
    db = Database.from_url(f"sqlite:///{path}")
    upgrade(db.engine)
    seed(db)
    app = create_app(
        Settings(environment="test", data_dir=path.parent, db={"url": f"sqlite:///{path}"}),  # type: ignore[arg-type]
        database=db,
    )
    app.dependency_overrides[get_guide] = lambda: demo_guide
    with TestClient(app) as client:
        yield client, sign_in(client, "alice@example.org")
    db.dispose()


@hsettings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(req=requests())
def test_api_items_meet_the_stated_constraints(
    api: tuple[TestClient, dict[str, str]],
    rows: dict[int, Row],
    demo_products: list[ProductFacts],
    req: Request,
) -> None:
    """`POST /api/guide/recommend` holds to the same check as the CLI."""
    client, headers = api
    r = client.post("/api/guide/recommend", json={"text": req.text, "k": 10}, headers=headers)
    assert r.status_code == 200, r.text
    _check(r.json(), req, rows, demo_products)


def test_unlisted_ingredients_are_shown_apart(demo_guide: ShoppingGuide) -> None:
    """A product with no ingredient list meets no ingredient constraint: it is shown apart."""
    result = demo_guide.recommend("不含尼泊金的面膜，敏感肌", k=10)
    assert result.items and all(demo_guide.product(i.id).ingredients for i in result.items)
    assert result.ingredients_not_listed
    assert all(not demo_guide.product(i.id).ingredients for i in result.ingredients_not_listed)
    assert "未列出成分" in result.message


def test_a_category_word_means_the_product_category(demo_guide: ShoppingGuide) -> None:
    """A sunscreen request returns no setting powder or spray; a mist is not a cream."""
    result = demo_guide.recommend("sunscreen", k=100)
    assert not [i.name for i in result.items if re.search(r"(?i)setting|after-sun", i.name)]
    mist = demo_guide.find_product("CAUDALIE Grape Water")
    assert mist.label == "Moisturizer" and mist.category == "face mist" and mist.category_flag
    creams = demo_guide.recommend("干皮，100块以内的面霜，不要香精", k=10)
    assert mist.id not in {i.id for i in creams.items}


def test_yuan_budgets_are_converted_at_the_setting(demo_guide: ShoppingGuide) -> None:
    """100块 is ¥100 at the configured rate; the reply says how, and shows ¥ beside $."""
    from lingxi.guide import ParseParams

    q = demo_guide.parse("干皮，100块以内的面霜")
    assert (q.currency, q.max_price, q.stated_max, q.cny_per_usd) == ("CNY", 13.89, 100.0, 7.2)
    result = demo_guide.recommend("敏感肌面霜，300元以内", k=3)
    assert "1 美元 = 7.2 元" in result.message and "¥300 ≈ $41.67" in result.message
    assert result.conversion and all(
        re.match(r"¥[\d.]+（\$", i.display_price) for i in result.items
    )
    eight = ParseParams.from_settings(Settings(guide={"cny_per_usd": 8}).guide)  # type: ignore[arg-type]
    from lingxi.guide import parse_need

    assert parse_need("预算200元的精华", params=eight).max_price == 25
    en = demo_guide.recommend("cleanser under $20", k=2)
    assert en.conversion is None and all(i.display_price.startswith("$") for i in en.items)


def test_catalogue_brands_are_read_without_an_alias(demo_guide: ShoppingGuide) -> None:
    """A brand known only from the catalogue rows (COOLA, BOSCIA) is a brand constraint."""
    result = demo_guide.recommend("COOLA sunscreen under $40", k=10)
    assert result.query.brands == ("COOLA",) and result.relaxed == ()
    assert {i.brand for i in result.items} == {"COOLA"}
    assert demo_guide.parse("悦木之源面膜").brands == ("ORIGINS",)
    assert demo_guide.parse("馥蕾诗洗面奶").brands == ("FRESH",)


def test_balanced_skin_is_normal() -> None:
    """Skin that is neither oily nor dry, said either way, is normal skin."""
    from lingxi.guide import parse_need

    text = "my skin is pretty balanced, not oily not dry, just want a nice cleanser under $30"
    assert parse_need(text).skin_types == ("normal",)
    assert parse_need("皮肤不油不干，想要一款洗面奶").skin_types == ("normal",)
