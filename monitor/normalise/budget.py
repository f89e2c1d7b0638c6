"""A call's budget text -> the call's total and the per-project (per-SME, per-beneficiary) grant.

Owns: deciding, for each amount `money.extract_money` finds, whether the text gives it as the call's
total ("Total budget: 800,000 €", "un budget pari a 6 milioni di euro", "Gesamtbudget", "of total")
or as what one project may get ("Max. funding €30,000", "up to 100,000 Euros", "con un massimo di
360.000 euro per singolo progetto", "between £150,000 and £300,000", "5,000 € Lump Sum"), in the EU
languages; the budget's one currency; warnings for what cannot be read.
Must not: guess. A text without an amount in a currency, or with several amounts none of which is
said to be the total, stores nothing and says so; amounts in a second currency are never converted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from monitor.normalise.money import Money, extract_money, kroner_without_country
from monitor.normalise.vocab import fold_chars

# What one project, SME or beneficiary gets. "per"/"pro"/"par"/"na"… + a noun, in the EU languages
# (Eurocluster open calls, cascade call summaries, national agency pages; formats.md §4.2).
_PER_NOUN = (
    r"(?:projects?|progett[oi]|projekt[ua]?|proyectos?|projets?|projetos?|proiect|hanke|εργο|проект|"
    r"smes?|pmi|pmes?|pymes?|kmus?|mkb|msp|beneficiar\w*|beneficiaire|begunstigte\w*|applicants?|"
    r"compan(?:y|ies)|impres[ae]|empresas?|entreprises?|unternehmen|onderneming|foretag|yritys|podjetje|"
    r"przedsiebiorstwo|firms?|participants?|teams?|start-?ups?|proposals?|proposta|antrag|vorhaben|"
    r"domanda|candidat[oa]|aanvrager|prijavitelja|upravicenca|δικαιουχο|lots?|subgrantees?|vouchers?|"
    r"partners?|pilots?|consorti(?:um|a|o)|konsorcjum|laureats?|winners?|awardees?|grantees?)"
)
_PER_PREP = (
    r"(?:per|pro|je|por|par|na|pe|po|pr\.|ανα|на|for\s(?:each|every|one)|per\s(?:singol[oa]|ciascun[oa]?|ogni)|"
    r"pour\schaque|para\scada|pentru\sfiecare|dla\sjednego|na\sjeden|ciascun[oa]?|each|cada|chaque|jeder?)"
)
_STRONG_PER = re.compile(
    rf"(?<!\w){_PER_PREP}\s(?:\w+\s)?{_PER_NOUN}(?!\w)|(?<!\w)(?:each|apiece|ciascun[oa]?|cadauno)(?!\w)"
    r"|\w+\skohden|\w+\skohta|\w+enkent|vienam\s\w+"  # fi/et/hu/lt/lv postpositions
    r"|lump[\s-]?sums?|grant\ssize|grants?\sof|vouchers?\sof|forfait\w*|forfettari\w*|pauschal\w*|ryczalt\w*"
    r"|contributo|sovvenzione|zuschuss|subvencion|subvention"
)
# An upper bound alone ("up to", "max.", "bis zu"): per project unless the same clause names a total.
_WEAK_PER = re.compile(
    r"(?<!\w)(?:up\sto|max\.?|maximum|(?:not|no)\smore\sthan|nie\swiecej\sniz|non\ssuperiore\sa|"
    r"a\smaximum\sof|at\smost|not\sexceed\w*|capped\sat|ceiling|"
    r"fino\sa|massim[oa]|max\.|bis\szu|maximal|hochstens|hasta|maximo|jusqu'a|plafond|ate|"
    r"maksymalnie|maks\.|do|maximaal|tot|najvec|pana\sla|maxim|enintaan|korkeintaan|upp\still|hogst|"
    r"maximalt|op\still|hojst|maksimalt|maximalne|legfeljebb|maximalis|najvise|iki|daugiausia|lidz|"
    r"maksimali|kuni|maksimaalselt|εως|μεχρι|до|максимум)(?!\w)"
)
# The call's whole budget.
_TOTAL = re.compile(
    r"(?<!\w)(?:total\w*|overall|in\sall|budget\w*|envelope|totale|complessiv\w*|dotazione|stanziament\w*|"
    r"gesamt\w*|insgesamt|fordervolumen|enveloppe|dotation|presupuesto|dotacion|orcamento|dotacao|"
    r"montante\sglobal|budzet\w*|laczn\w*|alokacj\w*|totaal|begroting|skupn\w*|skupaj|buget\w*|alocar\w*|"
    r"kokonais\w*|yhteensa|totalt|i\salt|celkov\w*|alokace|osszes\w*|keretosszeg|ukupn\w*|is\sviso|"
    r"bendr\w*|kopej\w*|eelarve|συνολικ\w*|προυπολογισμ\w*|общ\w*|бюджет\w*)(?!\w)"
)
# The call's whole budget, said after the amount ("up to £2 million in total", "12 Mio. € insgesamt").
_TOTAL_AFTER = re.compile(
    r"^\W*(?:in\s(?:total|all)|total|overall|insgesamt|in\stotale|complessiv\w*|au\stotal|en\stotal|no\stotal|"
    r"lacznie|in\stotaal|skupaj|in\stotal|yhteensa|totalt|i\salt|celkem|osszesen|ukupno|is\sviso|kopa|kokku|"
    r"συνολικα|общо)(?!\w)"
)
# Where a clause ends, so that a cue of one sentence does not classify the next one's amount.
_CLAUSE_END = re.compile(r"\n|;|•|…|\.\.\.|\||(?:(?<=\w{4})|(?<=\d))[.!?]\s")
_AFTER_END = re.compile(r"[\n;,•|…]|\.\.\.|(?:(?<=\w{4})|(?<=\d))[.!?]\s")  # "pr. projekt" goes on
_WINDOW = 100


@dataclass
class BudgetReading:
    total: Decimal | None = None
    minimum: Decimal | None = None  # per project
    maximum: Decimal | None = None  # per project
    currency: str | None = None
    warnings: list[str] = field(default_factory=list)


def _before(folded: str, low: int, start: int) -> str:
    begin = max(low, start - _WINDOW)
    ends = list(_CLAUSE_END.finditer(folded, begin, start))  # lookbehinds see the text before `begin`
    return folded[ends[-1].end() if ends else begin : start]


def _after(folded: str, end: int, high: int) -> str:
    limit = min(high, end + 40)
    stop = _AFTER_END.search(folded, end, limit)
    return folded[end : stop.start() if stop else limit]


def _last(pattern: re.Pattern[str], text: str) -> int:
    return max((m.start() for m in pattern.finditer(text)), default=-1)


def _kind(before: str, after: str) -> str | None:
    """'per' (one project's grant), 'total' (the call's budget) or None (the text does not say)."""
    if _STRONG_PER.search(after):
        return "per"
    if _TOTAL_AFTER.search(after):
        return "total"
    strong, total = _last(_STRONG_PER, before), _last(_TOTAL, before)
    if strong > total:
        return "per"
    if total >= 0:
        return "total"
    return "per" if _WEAK_PER.search(before) else None


def _snip(text: str) -> str:
    return repr(" ".join(text.split())[:120])


_Kinds = list[tuple[Money, str | None]]


def _one_currency(amounts: _Kinds, reading: BudgetReading) -> _Kinds:
    """The amounts in the budget's currency: the total's, else the first amount's; others are warned."""
    totals = [money for money, kind in amounts if kind == "total"]
    currency = (totals or [amounts[0][0]])[0].currency
    others = [money.text for money, _ in amounts if money.currency != currency]
    if others:
        reading.warnings.append(
            f"budget text names amounts in more than one currency; kept {currency}, ignored "
            + ", ".join(repr(text) for text in others)
        )
    reading.currency = currency
    return [(money, kind) for money, kind in amounts if money.currency == currency]


def read_budget(text: str) -> BudgetReading:
    """The call's total and per-project range in one currency from a budget text; warnings, never guesses."""
    reading = BudgetReading()
    found = extract_money(text)
    if not found:
        kroner = kroner_without_country(text)
        reading.warnings.append(
            f"budget amount {kroner!r} is in kroner without saying SEK, DKK or NOK; not stored"
            if kroner
            else f"no amount with a currency in budget text {_snip(text)}"
        )
        return reading
    folded = fold_chars(text)
    kinds = []
    for i, money in enumerate(found):
        low = found[i - 1].end if i else 0
        high = found[i + 1].start if i + 1 < len(found) else len(folded)
        kinds.append((money, _kind(_before(folded, low, money.start), _after(folded, money.end, high))))
    amounts = _one_currency(kinds, reading)
    # A range is what one project may get ("between £150,000 and £300,000", even of "total eligible
    # costs"): a call's own budget is one figure.
    totals = [m for m, kind in amounts if kind == "total" and m.minimum is None]
    per = [m for m, kind in amounts if kind == "per" or m.minimum is not None]
    unsaid = [m for m, kind in amounts if kind is None and m.minimum is None]
    if len({m.amount for m in totals}) > 1:
        reading.warnings.append(f"several totals in budget text; kept the largest: {_snip(text)}")
    if per:
        reading.maximum = max(m.amount for m in per)
        lows = [m.minimum if m.minimum is not None else m.amount for m in per]
        reading.minimum = min(lows) if len(per) > 1 or per[0].minimum is not None else None
    if totals:
        reading.total = max(m.amount for m in totals)
    elif len({m.amount for m in unsaid}) == 1 and unsaid[0].amount > (reading.maximum or 0):
        reading.total = unsaid[0].amount  # one amount, and the text gives no other reading of it
    elif unsaid:
        reading.warnings.append(f"budget text does not say which amount is the call's total: {_snip(text)}")
    if reading.total is None and reading.maximum is None:
        reading.currency = None
    return reading
