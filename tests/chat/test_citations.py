from qabot.chat.citations import by_place, excerpt
from qabot.schema import Citation


def cite(n: int, source: str, line: int, also: list[str]) -> Citation:
    return Citation(n, source, line, "简介", f"第{n}句。", 1.0, also, 0, 4)


def test_citations_of_one_place_are_grouped_in_answer_order() -> None:
    places = by_place(
        [
            cite(1, "a.txt", 6, ["b.txt:5"]),
            cite(2, "c.txt", 1, []),
            cite(3, "a.txt", 6, ["b.txt:5", "d.txt:2"]),
        ]
    )
    assert [(p.where, [c.n for c in p.citations]) for p in places] == [
        ("a.txt:6", [1, 3]),
        ("c.txt:1", [2]),
    ]
    assert places[0].also_in == ["b.txt:5", "d.txt:2"]


def test_excerpt_is_one_line_and_short() -> None:
    assert excerpt("一句\n话", 10) == "一句 话"
    assert excerpt("长" * 100, 10) == "长" * 9 + "…"
