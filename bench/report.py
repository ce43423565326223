"""Turn bench/out/results-*.json into docs/performance.md (and print the table)."""

from __future__ import annotations

import json
from pathlib import Path

from bench import targets as r

#: The issue's figure for the plain sqlite3 + csv loop on a quiet machine.
PLAIN_SQLITE_REFERENCE_S = 1.0
DB_LABELS = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


def load_results() -> list[dict]:
    found = []
    for kind in ("sqlite", "postgresql"):
        full = r.OUT / f"results-{kind}.json"
        quick = r.OUT / f"results-{kind}-quick.json"
        path = full if full.exists() else quick if quick.exists() else None
        if path:
            found.append(json.loads(path.read_text()))
    return found


def ok(flag: bool | None) -> str:
    if flag is None:
        return "—"
    return "oui" if flag else "**NON**"


def is_list(page: dict) -> bool:
    kind = page["kind"]
    return page["view"] not in ("tableau de bord", "compte rendu") and kind not in (
        "fiche",
        "modification",
    )


def page_ok(page: dict) -> bool | None:
    if not is_list(page):
        return None
    q = page.get("queries")
    return (
        page["status"] == 200
        and page["median_ms"] <= r.LIST_MEDIAN_MS
        and page["p95_ms"] <= r.LIST_P95_MS
        and (q is None or q <= r.MAX_QUERIES)
    )


SCENARIOS = {
    "liste": "liste des membres",
    "fiche": "fiche d'un membre",
    "mixte": "mixte (liste, fiche, une présence modifiée)",
}


def concurrency_section(res: dict) -> list[str]:
    """The concurrent runs, the memory figures and the targets of issue 21."""
    conc = res.get("concurrency")
    if not conc:
        return []
    runs = conc["runs"]
    lines = [
        "### Clients concurrents (issue 21)",
        "",
        f"- Date : {conc['date']} (UTC) ; charge moyenne avant / après : "
        f"{', '.join(f'{x:.1f}' for x in conc['load']['before'])} / "
        f"{', '.join(f'{x:.1f}' for x in conc['load']['after'])} ; "
        f"priorité (nice) {conc.get('nice', 0)}",
        "- 8 clients, chacun connecté avec sa session et sa connexion, 10 s par "
        "scénario ; serveur waitress à 4 fils par processus (`bench/server.py`, "
        "plusieurs processus : préfourche sur la même socket).",
        "",
        "| Processus | Scénario | Requêtes/s | p50 (ms) | p99 (ms) | CPU serveur "
        "(ms/req.) | Erreurs | « database is locked » | Écritures confirmées / "
        "retrouvées |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for run in runs:
        writes = (
            f"{run['writes_acked']} / {run['writes_found']}"
            if "writes_acked" in run
            else "—"
        )
        lines.append(
            f"| {run['workers']} | {SCENARIOS.get(run['scenario'], run['scenario'])} "
            f"| {run['rps']:.1f} | {run['p50_ms']:.0f} | {run['p99_ms']:.0f} "
            f"| {run.get('cpu_ms', float('nan')):.1f} "
            f"| {run['errors']} | {run['locked']} | {writes} |"
        )
    mem = conc["memory"]
    lines += [
        "",
        "### Mémoire du processus (issue 21)",
        "",
        f"- Après le démarrage (première réponse) : {mem['after_start_mb']:.0f} Mo ; "
        f"après connexion, liste des membres et tableau de bord : "
        f"{mem['after_pages_mb']:.0f} Mo",
        "- Après chacun des 6 exports CSV des présences : "
        + ", ".join(
            f"{e['rss_mb']:.0f} Mo ({e['rows']} lignes, {e['seconds']:.1f} s)"
            for e in mem["exports"]
        ),
        "",
    ]
    compared = conc.get("compare") or []
    if compared:
        lines += [
            "### Liste des membres, 8 clients, 1 processus : lectures avant / après",
            "",
            "Même machine, même charge, tours alternés : le serveur du banc ouvre "
            "les transactions des lectures comme avant l'issue 21 (`BEGIN "
            "IMMEDIATE`, variable `BENCH_IMMEDIATE_READS`) ou comme maintenant "
            "(`BEGIN`).",
            "",
            "| Tour | Lectures | Requêtes/s | p50 (ms) | p99 (ms) | CPU serveur "
            "(ms/req.) | Erreurs | Charge (1 min) |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for x in compared:
            lines.append(
                f"| {x['round']} | `{x['mode']}` | {x['rps']:.1f} | {x['p50_ms']:.0f} "
                f"| {x['p99_ms']:.0f} | {x['cpu_ms']:.1f} | {x['errors']} "
                f"| {x['load']:.1f} |"
            )
        lines.append("")
    return lines + ["### Cibles de l'issue 21", ""] + targets_21(res) + [""]


def targets_21(res: dict) -> list[str]:
    runs = {(x["workers"], x["scenario"]): x for x in res["concurrency"]["runs"]}
    out = []
    readers = [x for (w, s), x in runs.items() if s in ("liste", "fiche")]
    worst = max(readers, key=lambda x: x["p99_ms"])
    flag = all(x["p99_ms"] <= r.CONC_READ_P99_MS and not x["errors"] for x in readers)
    out.append(
        f"- 8 lecteurs concurrents : p99 ≤ {r.CONC_READ_P99_MS} ms et aucune erreur "
        f"(pire : {worst['workers']} processus, {worst['scenario']}, "
        f"{worst['p99_ms']:.0f} ms, {worst['errors']} erreur(s)) → {ok(flag)}"
        + ("" if res["db"] == "sqlite" else " (cible posée pour SQLite)")
    )
    one, two = runs.get((1, "liste")), runs.get((2, "liste"))
    if one and two:
        ratio = two["rps"] / one["rps"] if one["rps"] else 0
        out.append(
            f"- 2 processus ≥ {r.CONC_SCALE:g}× les requêtes/s d'un seul (liste) : "
            f"{one['rps']:.1f} → {two['rps']:.1f} req/s, soit {ratio:.2f}× → "
            f"{ok(ratio >= r.CONC_SCALE)}"
        )
    mixed = [x for (w, s), x in runs.items() if s == "mixte"]
    lost = sum(x.get("lost_writes", 0) for x in mixed)
    locked = sum(x["locked"] for x in mixed)
    errors = sum(x["errors"] for x in mixed)
    out.append(
        f"- Lectures et écritures mêlées : {lost} écriture(s) perdue(s), {locked} "
        f"« database is locked », {errors} erreur(s) → "
        f"{ok(lost == 0 and locked == 0 and errors == 0)}"
    )
    pages = res.get("pages") or []
    lists = [p for p in pages if is_list(p) and p.get("p99_ms") is not None]
    if lists:
        bad = [
            p for p in lists if p["p99_ms"] > r.ONE_CLIENT_P99_RATIO * p["median_ms"]
        ]
        out.append(
            f"- Un client : p99 ≤ {r.ONE_CLIENT_P99_RATIO:g}× la médiane sur chaque "
            f"liste ({len(lists) - len(bad)}/{len(lists)}) → {ok(not bad)}"
            + (
                " — manquées : "
                + "; ".join(
                    f"{p['view']} {p['kind']} ({p['median_ms']:.0f}/"
                    f"{p['p99_ms']:.0f} ms)"
                    for p in bad
                )
                if bad
                else ""
            )
        )
    else:
        out.append("- Un client, p99 ≤ 2× la médiane : non mesuré dans ce passage.")
    mem = res["concurrency"]["memory"]
    start = mem["after_start_mb"]
    peak = max((e["rss_mb"] for e in mem["exports"]), default=start)
    out.append(
        f"- Mémoire après démarrage ≤ {r.START_RSS_MB} Mo : {start:.0f} Mo → "
        f"{ok(start <= r.START_RSS_MB)} ; après 6 exports ≤ "
        f"{r.EXPORTS_RSS_RATIO:g}× : {peak:.0f} Mo, soit {peak / start:.2f}× → "
        f"{ok(peak <= r.EXPORTS_RSS_RATIO * start)}"
    )
    board = next((p for p in pages if p["view"] == "tableau de bord"), None)
    if board:
        out.append(
            f"- Tableau de bord, médiane ≤ {r.DASHBOARD_MEDIAN_MS} ms : "
            f"{board['median_ms']:.1f} ms → "
            f"{ok(board['median_ms'] <= r.DASHBOARD_MEDIAN_MS)}"
        )
    for view, django in r.DJANGO_21.items():
        first = next(
            (p for p in pages if p["view"] == view and p["kind"] == "première page"),
            None,
        )
        if first:
            limit = django * r.LIST_VS_DJANGO
            out.append(
                f"- Liste {view}, première page ≤ {r.LIST_VS_DJANGO:g}× l'admin "
                f"Django ({django} ms → {limit:.0f} ms) : {first['median_ms']:.1f} "
                f"ms, soit {first['median_ms'] / django:.2f}× → "
                f"{ok(first['median_ms'] <= limit)}"
            )
    return out


def section(res: dict) -> list[str]:
    if "pages" not in res:  # only the concurrent part was run
        return [f"## {DB_LABELS[res['db']]}", ""] + concurrency_section(res)
    m = res["machine"]
    db = DB_LABELS[res["db"]]
    lines = [
        f"## {db}{' (jeu réduit --quick)' if res['quick'] else ''}",
        "",
        f"- Date : {res['date']} (UTC)",
        f"- Machine : {m['nproc']} cœurs, {m['cpu']}, {m['ram_mb']} Mo de RAM, "
        f"{m['system']}, Python {m['python']}",
        f"- Charge moyenne (1, 5, 15 min) avant / après : "
        f"{', '.join(f'{x:.1f}' for x in res['load']['before'])} / "
        f"{', '.join(f'{x:.1f}' for x in res['load']['after'])}",
        f"- Priorité (nice) du banc et du serveur : {res.get('nice', 0)}"
        + (" (option --priority)" if res.get("nice", 0) < 0 else ""),
        f"- Base : {res['url']}",
        f"- Session : {res['auth']}",
    ]
    built = res["dataset"]
    if built.get("seconds"):
        lines.append(f"- Jeu de données construit en {built['seconds']:.0f} s")
    counts = built["counts"]
    lines.append(
        "- Lignes : "
        + ", ".join(f"{k} {v:,}".replace(",", "\u202f") for k, v in counts.items())
    )
    lines += [
        "",
        "### Pages (requêtes séquentielles, serveur waitress, 127.0.0.1)",
        "",
        "| Vue | Page | Médiane (ms) | p95 (ms) | CPU serveur (ms) | Requêtes SQL "
        "| Statut | Cible liste |",
        "|---|---|---:|---:|---:|---:|---:|---|",
    ]
    for p in res["pages"]:
        lines.append(
            f"| {p['view']} | {p['kind']} | {p['median_ms']:.1f} | {p['p95_ms']:.1f} "
            f"| {p.get('cpu_ms', float('nan')):.1f} "
            f"| {p['queries'] if p['queries'] is not None else '?'} | {p['status']} "
            f"| {ok(page_ok(p))} |"
        )
    lines += ["", "### Exports CSV", ""]
    plain = res["plain_export"]
    if res["exports"]:
        lines += [
            "| Liste | Lignes | Durée (s) | Lignes/s | Mémoire +Mo (pic) | Statut |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for e in res["exports"]:
            lines.append(
                f"| {e['view']} | {e['rows']:,} | {e['seconds']:.2f} | "
                f"{e['rows_per_s'] or 0:,} | {e['rss_growth_mb']:.0f} | {e['status']} |".replace(
                    ",", "\u202f"
                )
            )
    else:
        lines.append("Aucune route d'export trouvée.")
    lines += [
        "",
        f"Référence mesurée : boucle `{plain['driver']}` + `csv` sur la requête des "
        f"présences avec libellés : {plain['rows']:,} lignes en {plain['seconds']:.2f} s "
        f"({plain['rows_per_s']:,} lignes/s).".replace(",", "\u202f"),
        "",
        *load_note(res),
        "### Import, démarrage",
        "",
    ]
    imp = res.get("import")
    if imp is None:
        lines.append("- Import de membres : pas de page d'import dans l'application.")
    elif "error" in imp:
        lines.append(f"- Import de membres : non mesuré ({imp['error']}).")
    else:
        lines.append(
            f"- Import de {imp['rows']:,} membres : aperçu {imp['preview_s']:.1f} s, "
            f"total {imp['seconds']:.1f} s (statut {imp['status']}, "
            f"+{imp['rss_growth_mb']:.0f} Mo)".replace(",", "\u202f")
        )
    cold = res["cold_start"]
    if "error" in cold:
        lines.append(f"- Démarrage à froid : {cold['error']}")
    else:
        lines.append(
            f"- Démarrage à froid (imports + create_app, puis première requête) : "
            f"{cold['create_app_s']:.2f} s + {cold['first_request_s']:.2f} s = "
            f"{cold['total_s']:.2f} s (temps CPU du processus : "
            f"{cold.get('cpu_s', float('nan')):.2f} s)"
        )
    lines += ["", "### Cibles", ""] + targets(res) + [""]
    lines += concurrency_section(res)
    return lines


def load_note(res: dict) -> list[str]:
    """How much slower this machine was than the issue's quiet one, if measurable."""
    plain = res["plain_export"]
    if res["db"] != "sqlite" or res["quick"] or not plain.get("seconds"):
        return [""]
    factor = plain["seconds"] / PLAIN_SQLITE_REFERENCE_S
    return [
        f"La même boucle prenait environ {PLAIN_SQLITE_REFERENCE_S:g} s sur la machine "
        f"de l'issue au repos : pendant cette mesure, la machine était environ "
        f"{factor:.1f} fois plus lente ; les temps d'horloge ci-dessus sont à lire "
        "en conséquence (le temps CPU l'est moins).",
        "",
    ]


def targets(res: dict) -> list[str]:
    out = []
    lists = [p for p in res["pages"] if is_list(p)]
    misses = [p for p in lists if not page_ok(p)]
    out.append(
        f"- Listes (médiane ≤ {r.LIST_MEDIAN_MS} ms, p95 ≤ {r.LIST_P95_MS} ms, "
        f"≤ {r.MAX_QUERIES} requêtes) : {ok(not misses)}"
        + (
            " — manquées : "
            + "; ".join(
                f"{p['view']} {p['kind']} ({p['median_ms']:.0f}/{p['p95_ms']:.0f} ms, "
                f"{p['queries']} req.)"
                for p in misses
            )
            if misses
            else ""
        )
    )
    cpu_misses = [
        p
        for p in lists
        if p.get("cpu_ms") is not None and p["cpu_ms"] > r.LIST_MEDIAN_MS
    ]
    scope = (
        "base de données comprise (SQLite est dans le processus)"
        if res["db"] == "sqlite"
        else "hors processus PostgreSQL"
    )
    out.append(
        f"- Listes dont le temps CPU serveur moyen dépasse {r.LIST_MEDIAN_MS} ms "
        f"({scope}, indépendant de la charge de la machine) : "
        + (
            "; ".join(
                f"{p['view']} {p['kind']} ({p['cpu_ms']:.0f} ms)" for p in cpu_misses
            )
            if cpu_misses
            else "aucune"
        )
    )
    for view, ref in r.REFERENCES.items():
        first = next(
            (p for p in lists if p["view"] == view and p["kind"] == "première page"),
            None,
        )
        if first:
            limit = ref["django"] / 2
            out.append(
                f"- Liste {view} ≤ moitié de l'admin Django ({ref['django']} ms → "
                f"{limit:.0f} ms) : {first['median_ms']:.1f} ms → "
                f"{ok(first['median_ms'] <= limit)}"
            )
    plain = res["plain_export"]
    att = next((e for e in res["exports"] if e["view"] == "attendance"), None)
    if att and att["status"] == 200:
        ratio = att["seconds"] / plain["seconds"] if plain["seconds"] else float("inf")
        out.append(
            f"- Export des présences ≤ {r.EXPORT_RATIO:g}× la boucle brute "
            f"({plain['seconds']:.2f} s) : {att['seconds']:.2f} s, "
            f"soit {ratio:.1f}× → {ok(ratio <= r.EXPORT_RATIO)}; mémoire "
            f"+{att['rss_growth_mb']:.0f} Mo (≤ {r.EXPORT_RSS_MB}) → "
            f"{ok(att['rss_growth_mb'] <= r.EXPORT_RSS_MB)}; "
            f"Datasette : {r.DATASETTE_CSV_S:g} s"
        )
    else:
        out.append("- Export des présences : non mesuré (pas de route d'export).")
    imp = res.get("import")
    if imp and "error" not in imp:
        out.append(
            f"- Import de 20 000 membres ≤ {r.IMPORT_S} s : {imp['seconds']:.1f} s → "
            f"{ok(imp['seconds'] <= r.IMPORT_S and imp['status'] < 400)}"
        )
    else:
        out.append("- Import de 20 000 membres : non mesuré (pas d'import).")
    cold = res["cold_start"]
    if "total_s" in cold:
        out.append(
            f"- Démarrage à froid ≤ {r.COLD_START_S} s : {cold['total_s']:.2f} s → "
            f"{ok(cold['total_s'] <= r.COLD_START_S)}"
        )
    return out


HEADER = """# Performances à 100 fois la taille du conseil

Généré par `python -m bench.run --db sqlite` puis `--db postgresql` (issue 8),
et `python -m bench.search` pour la section « Recherche » (issue 18) ;
ne pas modifier à la main. Le banc construit, avec les modèles de l'application,
20 000 membres, 200 structures, 100 groupes de travail et leurs participations,
20 000 réunions, 400 000 présences, 20 000 décisions, 50 000 actions,
20 000 documents, 5 plans (500 actions, 1 000 amendements), 2 000 indicateurs
et 100 000 mesures ; il lance l'application sous waitress sur 127.0.0.1, se
connecte (s'il existe des comptes) et mesure les pages une par une. Les
requêtes SQL sont comptées côté serveur (`CDPL_COUNT_QUERIES=1`, en-tête
`X-Query-Count`, voir `app/perf.py`).

Références citées par l'issue (même machine, même volume, page de 50 lignes),
non remesurées ici : admin Django 42 ms (membres) et 118 ms (présences) ;
Flask-Admin sans réglage ni connexion 21 ms et 30 ms ; CSV en flux de Datasette
pour les 400 000 présences : 13 s ; boucle `sqlite3` + `csv` : environ 1,0 s.

Les temps sont des temps d'horloge vus du client ; la colonne « CPU serveur »
donne le temps CPU moyen consommé par le processus de l'application pour une
requête (hors processus PostgreSQL), moins sensible à la charge. La machine
de 2 cœurs peut être partagée avec d'autres travaux (voir la charge moyenne de
chaque section) : une charge supérieure à 2 allonge les temps d'horloge,
surtout le p95. L'option `--priority` (nice -10 pour le banc et le serveur)
en protège les mesures.

Issue 21 : chaque passage se termine par des clients concurrents (8 clients,
10 s par scénario, 1 puis 2 processus serveur), la mémoire du processus
(après démarrage, puis après chacun de 6 exports des 400 000 présences) et,
sur SQLite, une comparaison en tours alternés des lectures en `BEGIN
IMMEDIATE` (avant) et en `BEGIN` (maintenant) ; `python -m bench.run --db
sqlite --only-concurrency` ne refait que cette partie (`bench/concurrency.py`).

"""


WHY = """
## Cibles manquées : pourquoi

- **Recherches des listes** : depuis l'issue 18, les listes des fiches
  cherchables (membres, réunions, présences par leur membre...) interrogent
  l'index plein texte (FTS5, tsvector + GIN) au lieu de `LIKE '%texte%'`
  (sections « Recherche » ci-dessus). Restent en `LIKE` les listes des comptes,
  journaux et abonnements agenda, petites et réservées aux administrateurs.
- **Cibles de l'issue 18 (recherche)** : la recherche globale tient ses 50 ms
  sur les deux bases. Les recherches de listes restent au-dessus de leur
  première page, mesurées tour à tour avec elle : depuis la migration 0023
  (troisième passage), sur SQLite, membres ×1,05, présences ×1,09 à 1,18,
  réunions (« preparation », 2 174 fiches) ×1,35 à 1,55 ; sur PostgreSQL
  ×1,14, ×1,43 et ×1,55 à 1,6 (×1,6 à 6,5 avant la seconde passe). La
  première page ne fait presque rien en SQL ; une recherche consulte l'index,
  compte exactement et lit des fiches dispersées (détail et essais dans les
  sections « Recherche » et « Issue 18 »).
- **Recherche d'un mot fréquent** (un mot présent dans 10 % des réunions) : la
  liste doit compter et trier des milliers de fiches trouvées ; l'index les
  trouve en quelques millisecondes, mais la recherche reste plus chère que la
  première page, qui ne lit que 50 lignes.
- **Filtres peu sélectifs combinés à un tri** (par exemple « Présence =
  Présent·e » sur 400 000 lignes, « Rôle au conseil = Membre ») : la base lit
  l'index du filtre puis trie des centaines de milliers de lignes ; seuls
  l'archivage des membres et le tri par nom ont un index composite
  (`ix_member_left_on_last_name`).
- **Rendu d'une page de 50 lignes** : le gabarit Jinja de liste de Flask-Admin
  coûte à lui seul 15 à 20 ms de CPU (environ 70 % d'une requête de la liste des
  membres, mesuré avec cProfile) ; le reste (requêtes, contrôle d'accès, session)
  tient en quelques millisecondes. Remplacer ce gabarit par un rendu en Python
  est la prochaine étape si l'on veut une marge sous 21 ms.
- **Bruit de la machine** : la même boucle `sqlite3` + `csv` a pris de 1,85 à
  2,8 s selon les passages (1,0 s dans l'issue) ; les temps d'horloge varient
  d'environ ±30 % d'un passage à l'autre, le temps CPU serveur un peu moins.
"""


#: Issue 13: XLSX and ODS exports of the attendance list within 3x the CSV time.
FORMATS_RATIO = 3


def formats_section() -> list[str]:
    """The XLSX/ODS export figures of bench/formats.py, for every result file."""
    lines: list[str] = []
    for kind in ("sqlite", "postgresql"):
        for suffix in ("", "-quick"):
            path = r.OUT / f"formats-{kind}{suffix}.json"
            if path.exists():
                lines += formats_lines(json.loads(path.read_text()))
                break
    return lines


def formats_lines(res: dict) -> list[str]:
    label = DB_LABELS.get(res["db"], res["db"])
    lines = [
        f"## Exports XLSX et ODS des présences — {label}"
        + (" (jeu réduit)" if res.get("quick") else ""),
        "",
        f"`python -m bench.formats --db {res['db']}` le {res['date']} : "
        f"{res['rows']:,} présences avec libellés, téléchargées par HTTP, chaque "
        "format l'un après l'autre (meilleur temps de "
        f"{len(res['runs']['csv'])} passage(s)), charge "
        f"{', '.join(f'{x:.1f}' for x in res['load'])}.".replace(",", " ", 1),
        "",
        "| Format | Durée (s) | × CSV | Taille (Mo) | Mémoire +Mo (pic) | Cible |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for fmt, runs in res["runs"].items():
        best = min(runs, key=lambda x: x["seconds"])
        ratio = res["ratio_to_csv"][fmt]
        target = (
            "—" if fmt == "csv" else ok(ratio is not None and ratio <= FORMATS_RATIO)
        )
        lines.append(
            f"| {fmt.upper()} | {best['seconds']:.2f} | {ratio:.2f} | "
            f"{best['bytes'] / 1e6:.1f} | {max(x['rss_growth_mb'] for x in runs):.0f} "
            f"| {target} |"
        )
    return lines + [
        "",
        "Avant l'issue 13 (openpyxl) : XLSX 73 s pour 14 s en CSV sur le même passage. "
        "Les deux formats sont maintenant écrits directement en XML dans le zip, "
        "ligne à ligne dans un fichier temporaire : la mémoire ne dépend pas du "
        "nombre de lignes.",
        "",
    ]


def load_partial_results() -> list[dict]:
    """Results of ``bench.run --only`` runs (a few pages, measured apart)."""
    found = []
    for kind in ("sqlite", "postgresql"):
        for suffix in ("-partial", "-quick-partial"):
            path = r.OUT / f"results-{kind}{suffix}.json"
            if path.exists():
                found.append(json.loads(path.read_text()))
                break
    return found


def partial_section(res: dict) -> list[str]:
    """A partial run's pages, with the load it ran under."""
    db = DB_LABELS[res["db"]]
    load = res["load"]
    lines = [
        f"## {db} : pages mesurées à part (`bench.run --only`)"
        + (" (jeu réduit --quick)" if res["quick"] else ""),
        "",
        f"- Date : {res['date']} (UTC) ; charge moyenne avant / après : "
        f"{', '.join(f'{x:.1f}' for x in load['before'])} / "
        f"{', '.join(f'{x:.1f}' for x in load['after'])}",
        "- Jeu de données du banc (bench/rows.py) : depuis l'issue 16, le plan n° 1 "
        "porte les 500 actions et les 2 000 indicateurs (50 mesures chacun) ; les "
        "autres pages ne dépendent pas de cette répartition.",
        "",
        "| Vue | Page | Médiane (ms) | p95 (ms) | CPU serveur (ms) | Requêtes SQL "
        "| Statut |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for p in res["pages"]:
        lines.append(
            f"| {p['view']} | {p['kind']} | {p['median_ms']:.1f} | {p['p95_ms']:.1f} "
            f"| {p.get('cpu_ms', float('nan')):.1f} "
            f"| {p['queries'] if p['queries'] is not None else '?'} | {p['status']} |"
        )
    return [*lines, ""]


def load_search_results() -> list[dict]:
    """bench/out/search-<db>.json (``python -m bench.search``), full set first."""
    found = []
    for kind in ("sqlite", "postgresql"):
        full = r.OUT / f"search-{kind}.json"
        quick = r.OUT / f"search-{kind}-quick.json"
        path = full if full.exists() else quick if quick.exists() else None
        if path:
            found.append(json.loads(path.read_text()))
    return found


def search_section(res: dict) -> list[str]:
    """Issue 18: global search and list searches against the first pages."""
    db = DB_LABELS[res["db"]]
    load = res["load"]
    lines = [
        f"## Recherche (issue 18) — {db}{' (jeu réduit --quick)' if res['quick'] else ''}",
        "",
        "Généré par `python -m bench.search --db "
        f"{res['db']}` : index de recherche (FTS5 sur SQLite, tsvector et GIN sur "
        "PostgreSQL) rempli comme par `cdpl-gestion reindex`"
        + (
            f" en {res['index_seconds']:.0f} s"
            if res.get("index_seconds")
            else " (jeu de données réutilisé)"
        )
        + ".",
        "",
        f"- Date : {res['date']} (UTC)",
        "- Charge moyenne (1, 5, 15 min) avant / après : "
        + ", ".join(f"{v:.1f}" for v in load["before"])
        + " / "
        + ", ".join(f"{v:.1f}" for v in load["after"]),
        f"- Priorité (nice) du banc et du serveur : {res.get('nice', 0)}",
        f"- Session : {res['auth']}",
        "",
        "| Vue | Page | Médiane (ms) | p95 (ms) | CPU serveur (ms) | Requêtes SQL | Statut |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    pages = res["pages"]
    for p in pages:
        lines.append(
            f"| {p['view']} | {p['kind']} | {p['median_ms']:.1f} | {p['p95_ms']:.1f} | "
            f"{p['cpu_ms']:.1f} | {p['queries'] if p['queries'] is not None else '?'} | "
            f"{p['status']} |"
        )
    lines += ["", "Cibles :", ""]
    for p in pages:
        if p["view"] == "recherche" and "sans cible" not in p["kind"]:
            lines.append(
                f"- Recherche globale, {p['kind']} : médiane ≤ {r.GLOBAL_SEARCH_MS} ms "
                f"→ {p['median_ms']:.1f} ms, {ok(p['median_ms'] <= r.GLOBAL_SEARCH_MS)} "
                f"(CPU serveur {p['cpu_ms']:.1f} ms, {p['queries']} requêtes)"
            )
    for view in ("member", "meeting", "attendance"):
        first = next(
            (p for p in pages if p["view"] == view and p["kind"] == "première page"),
            None,
        )
        found = next(
            (p for p in pages if p["view"] == view and p["kind"] != "première page"),
            None,
        )
        if first and found:
            lines.append(
                f"- Liste {view}, {found['kind']} ≤ première page : médiane "
                f"{found['median_ms']:.1f} ms contre {first['median_ms']:.1f} ms → "
                f"{ok(found['median_ms'] <= first['median_ms'])} ; CPU serveur "
                f"{found['cpu_ms']:.1f} contre {first['cpu_ms']:.1f} ms → "
                f"{ok(found['cpu_ms'] <= first['cpu_ms'])}"
            )
    return lines + [""]


WHY_21 = """
## Issue 21 : les cibles, mesurées au repos (2026-12-02)

`python -m bench.run --db sqlite|postgresql --priority --no-doc`, le
2026-12-02 entre 01:09 et 01:28 UTC, seul sur la machine (aucune autre session
de travail ; charge 0,0 à 1,0 au départ, 1,0 à 2,5 à la fin des clients
concurrents) : les sections « SQLite » et « PostgreSQL » ci-dessus donnent le
détail. PostgreSQL a tourné deux fois ; la section donne le second passage
(le premier : tableau de bord 46,2 ms, lecteurs de la fiche p99 834 ms à un
processus, 2 processus 2,19×).

| Cible | SQLite | PostgreSQL |
|---|---|---|
| 8 lecteurs, p99 ≤ 0,7 s, sans erreur (posée pour SQLite) | **atteinte** : liste 176 ms, fiche 216 ms (1 processus) ; 147 / 158 ms (2) | liste 353 ms, fiche 424 ms (1) ; 239 / 296 ms (2) |
| 2 processus ≥ 1,5× un seul (liste) | **atteinte** : 67,3 → 124,0 req/s (1,84×) | **atteinte** : 35,3 → 56,0 req/s (1,59×) |
| Lectures et écritures mêlées : 0 perdue, 0 « database is locked » | **atteinte** (206/206 et 284/284 écritures retrouvées) | **atteinte** (160/160, 178/178) |
| Un client : p99 ≤ 2× la médiane sur chaque liste | non : 88 listes sur 100 ; 95 sur 106 avec le tas chaud gelé (`bench.tail`, quatrième passage) ; **104 et 105 sur 106** avec les jeunes générations collectées avant chaque requête (passages complets de 06 h 29 et 07 h 01, cinquième passage) | non : 90 sur 106 ; 96 et 101 sur 106 (quatrième passage) ; **106 sur 106** au passage complet de 06 h 33, 104 sur 106 à 07 h 05 (cinquième passage) |
| Mémoire après démarrage ≤ 70 Mo | non : 80 Mo | non : 94 Mo |
| Après 6 exports de 400 000 présences ≤ 1,3× | **atteinte** : 95,5 Mo (1,19×) | **atteinte** : 105,6 Mo (1,13×) |
| Tableau de bord, médiane ≤ 30 ms | **atteinte** : 18,4 ms (34,7 ms au passage chargé de 04 h 17, quatrième passage) ; 12,5 et 12,9 ms aux passages complets de 06 h 29 et 07 h 01 (cinquième passage) | non dans le passage complet (35,1 et 46,2 ms, 19 requêtes) ; 25,2 ms mesuré seul (`--only "tableau de bord"`) ; **27,6 et 26,6 ms** dans les deux passages complets de 04 h 10 avec 12 requêtes (quatrième passage) ; **atteinte** : 18,9 et 19,4 ms aux passages complets de 06 h 33 et 07 h 05 (cinquième passage) |
| Première page ≤ 0,5× l'admin Django (44 / 52 ms) | **atteinte** : membres 15,2 ms (0,35×), présences 15,0 ms (0,29×) | **atteinte** : 19,3 ms (0,44×), 13,9 ms (0,27×) |

Ce qui a changé depuis les passages précédents (mesurés à charge 11 à 16) :
la machine au repos d'abord ; la liste « Indicateurs hors trajectoire » du
tableau de bord (issue 16) calculait à chaque visite la trajectoire des 2 000
indicateurs par une requête à fenêtre qui trie les 100 000 mesures, avec les
indicateurs en objets ORM (0,29 s de CPU) : elle lit maintenant des lignes
simples (première et dernière mesure par l'index unique) et chaque processus
garde la réponse, par jour et par empreinte des données (`opendata_state`,
renouvelée par tout `commit` qui écrit un indicateur ou une mesure, imports
compris) ; les seuils de l'allocateur C fixés (troisième passage, ci-dessous).

Pourquoi les cibles manquées :
- **p99 d'un client** : sur 20 requêtes, le p99 est la plus lente. Les listes
  manquées ont des médianes de 4 à 37 ms et une requête de 9 à 120 ms. Sur
  PostgreSQL ce sont presque les mêmes listes d'un passage à l'autre
  (premières pages des réunions, présences, documents, amendements,
  indicateurs) : une pause qui revient, et non le hasard de la machine ; sur
  SQLite, 12 listes sur 100. Ce n'est plus la collecte complète du tas de
  démarrage (gelé par `gc.freeze()`, ~150 000 objets), mais celle des objets
  gardés depuis (caches de requêtes compilées, gabarits, sessions) : mesurée
  dans le processus avec `gc.callbacks` sur PostgreSQL, 60 requêtes par liste,
  une collecte de génération 2 de 11 à 24 ms tombe sur une requête sur 60
  environ (amendements : médiane 26,7 ms, la plus lente 48,5 ms). Fait
  depuis : le tas chaud gelé (quatrième passage ci-dessous), 11 listes
  manquées sur 106 au lieu de 18 et 23 sur SQLite, 5 et 10 au lieu de 13 et
  15 sur PostgreSQL.
  Puis les jeunes générations collectées avant chaque requête (cinquième
  passage) : 104 et 105 listes sur 106 sous 2× aux deux passages complets
  sur SQLite, 106 et 104 sur PostgreSQL ; celles au-delà le sont de peu
  (2,04 à 2,16×), et jamais les mêmes d'un passage à l'autre.
- **Mémoire après démarrage** : voir le troisième passage ci-dessous (les
  bibliothèques de base, SQLAlchemy, Flask-Admin et Pillow qu'il importe
  toujours, font l'essentiel ; 70 Mo demanderait d'en retirer une).
- **Tableau de bord sur PostgreSQL** : 25,2 ms seul, 18,5 ms de CPU ; 35 à
  46 ms quand il est mesuré après les 100 pages de listes du passage complet,
  avec les mêmes 19 requêtes. Non élucidé ; depuis, 12 requêtes (quatrième
  passage) : 27,6 et 26,6 ms dans deux passages complets. Au cinquième
  passage, sur une machine neuve et seule : 18,9 et 19,4 ms.
- **Fiche d'un membre sur PostgreSQL** : 37 à 56 ms de CPU par requête contre
  21 ms sur SQLite (ses listes de fiches liées) ; la cible des 8 lecteurs est
  posée pour SQLite, tenue aussi au second passage sur PostgreSQL.

## Issue 21, second passage : mémoire au démarrage et travail par ligne des listes

Mesuré le 1ᵉʳ décembre 2026 sur la même machine partagée (charge moyenne 10
à 17 sur 2 cœurs pendant les mesures).

- **Mémoire après démarrage** (RSS du serveur du banc après sa première
  réponse, comme `bench/concurrency.py` la mesure ; jeu 100×, SQLite) :
  102,5 Mo → **81,3 Mo** ; `cdpl-gestion serve` : 82,9 Mo. Cible ≤ 70 Mo :
  **NON atteinte**. Ne sont plus chargés au démarrage : Flask-Migrate,
  Alembic, Mako et Pygments (11 Mo ; la révision de la base est lue dans
  `alembic_version` et comparée aux têtes lues dans le texte des scripts de
  `migrations/versions`, Alembic n'est chargé que si la base est en retard),
  icalendar (3 Mo), odfpy (2 Mo), markdown-it et nh3 (3 Mo), puremagic
  (1,5 Mo), phonenumbers et email-validator (1,6 Mo), smtplib et les en-têtes
  de courriel (0,7 Mo). `tests/test_memory.py` vérifie dans un processus neuf
  qu'aucune de ces bibliothèques (ni openpyxl, zxcvbn, WeasyPrint) n'est
  chargée par `create_app` et une première page. Ce qui reste (mesuré par
  tracemalloc et `_debugmallocstats`, 45 Mo de petits objets Python sans
  fragmentation) : Python seul 11 Mo ; Flask, SQLAlchemy 2.1, Flask-Admin,
  WTForms, Babel et Jinja 47 Mo (SQLAlchemy seul 16 Mo ; Flask-Admin importe
  Pillow, 3 Mo avec ses bibliothèques ; le dialecte PostgreSQL est chargé même
  sur SQLite par les options `postgresql_where` des index, 3 Mo) ; le code de
  l'application, ses modèles (configuration des correspondances, 3 Mo) et
  ses vues 20 Mo. Atteindre 70 Mo demanderait de retirer une bibliothèque de
  base, pas seulement de différer des imports.
- **Après 6 exports** des 400 000 présences (même passage) : 112, 113, 129,
  110, 126, 114 Mo, soit un pic à 1,58× le démarrage → **NON** (la mémoire
  des exports n'a pas changé, 116 à 129 Mo comme avant ; c'est le démarrage
  plus bas qui rend le rapport plus grand).
- **Travail par ligne des listes** : chaque ligne est écrite par un seul
  appel Python (`list_row_html`, `app/admin/listing.py`) à partir de ce qui
  est calculé une fois par page (colonnes, case à cocher et son titre
  traduit, parties fixes des boutons avec leur URL et le jeton CSRF du
  formulaire de suppression, formateur de chaque type de valeur) au lieu
  d'une vingtaine d'appels Jinja et d'un parcours des formateurs par cellule ;
  `user_has` lit le compte une fois au lieu de quatre. Même HTML que le bloc de
  Flask-Admin aux espaces près (`tests/test_list_rows.py`), page 44 % plus
  légère (membres 181 → 102 ko). Première page, 50 lignes, jeu 100×, SQLite,
  dans le processus, temps CPU du processus (`time.process_time`) : médiane de
  30 requêtes, trois tours alternés avant / après :

| Liste | Appels Python par page avant → après | CPU avant (ms) | CPU après (ms) |
|---|---:|---:|---:|
| membres | 104 600 → 48 100 | 42,0 / 31,9 / 21,6 | 23,2 / 16,6 / 14,3 |
| présences | 85 800 → 46 900 | 40,7 / 33,9 / 27,4 | 26,7 / 18,6 / 18,6 |

  Le reste d'une page est surtout hors des lignes : menu (une trentaine de
  vues, chacune vérifiant le rôle), session, gabarit de la page, requêtes.

## Issue 21, troisième passage : mémoire au démarrage et après les exports

Mesuré le 2 décembre 2026 (00 h UTC) sur la machine partagée, charge moyenne
3 à 5 sur 2 cœurs (les tailles résidentes n'en dépendent pas, les durées si) :
`python -m bench.run --db sqlite --priority --only-memory` (et `--db postgresql
--url …` sur un jeu 100× construit par `python -m bench.dataset`), deux passages
identiques à 0,2 Mo près ; « avant » : le même banc sur `main`, ou avec le
correctif désactivé, dans la même session.

| | SQLite avant | SQLite après | PostgreSQL avant | PostgreSQL après |
|---|---:|---:|---:|---:|
| Après démarrage (première réponse) | 81,3 Mo | **79,7 Mo** | 93,2 Mo | **93,2 Mo** |
| Après connexion, membres, tableau de bord | 100 Mo | 93 Mo | — | 105 Mo |
| Après chacun des 6 exports des 400 000 présences | 97 à 129 Mo | **94,6 à 95,0 Mo** | 145 Mo (6ᵉ) | **104,1 à 105,2 Mo** |
| Rapport après 6 exports / démarrage | 1,57 à 1,59× | **1,19×** | 1,55× | **1,13×** |
| Pic pendant un export / démarrage | 1,74× | 1,42× | 1,60× | 1,33× |

- **Après 6 exports ≤ 1,3× le démarrage : atteint** (1,19× SQLite, 1,13×
  PostgreSQL). La mémoire gardée était dans la réserve du fil principal
  (`[heap]` de `/proc/<pid>/smaps` : 33 Mo au lieu de 18 un export sur deux),
  celui où waitress envoie les réponses : glibc relève ses seuils
  (`M_MMAP_THRESHOLD` jusqu'à 32 Mio, `M_TRIM_THRESHOLD` au double) dès qu'un
  gros bloc est libéré, et les tampons de l'envoi, libérés après le
  `malloc_trim` de l'export (fait quand le dernier lot est écrit, avant la fin
  de l'envoi), restaient alors dans cette réserve. `ready_to_serve`
  (`wsgi.py`, `serve`, serveur du banc) fixe maintenant les deux seuils à
  128 Kio, la valeur de départ de glibc : un gros bloc a ses propres pages,
  rendues au système dès sa libération, quel que soit le fil et le moment. Les
  exports n'en sont pas plus lents (même passage, durées sensibles à la
  charge : 1,6 à 2,0 s avec le réglage, 1,9 à 6,5 s sans).
  `MALLOC_ARENA_MAX`, `MALLOC_MMAP_THRESHOLD_` et `MALLOC_TRIM_THRESHOLD_`,
  s'ils sont dans l'environnement du serveur,
  l'emportent sur ces valeurs. Le pic pendant un export (+18 Mo, non
  décomposé dans ce passage) est rendu à la fin.
- **Après démarrage ≤ 70 Mo : NON atteint** (79,7 Mo sur SQLite ;
  `cdpl-gestion serve` 80,9 Mo au lieu de 82,9 ; 93 Mo sur PostgreSQL avec
  psycopg). Gagné : le dialecte PostgreSQL de SQLAlchemy n'est plus chargé sur
  SQLite (2,3 Mo) : la condition PostgreSQL de l'index partiel
  `ix_meeting_without_minutes` est donnée quand le moteur est PostgreSQL
  (`app.models.base.partial_index`, `use_dialect`), la requête `tsquery` de la
  recherche est dans `app/search/tsquery.py`, importé là où une recherche
  PostgreSQL est construite, et l'« upsert » du tampon open data importe son
  dialecte là où il sert. Ce qui reste (tracemalloc par module, taille de
  chaque exécution de module sans ses imports ; `/proc/self/smaps`) :
  - bibliothèques : SQLAlchemy 13 Mo de tas Python, plus asyncio et ssl
    qu'il importe toujours (2,3 Mo, et libcrypto 3,5 Mo partagés), Werkzeug, Flask, click (et pdb par
    `flask_login` → `flask.testing` → `click.testing`), Jinja, WTForms, Babel ;
    Pillow, importé par Flask-Admin (`flask_admin.form.upload`), 2,8 Mo ;
  - l'application : 10,6 Mo de tas Python, dont la configuration des
    correspondances des modèles 3,4 Mo, les tables et modèles 3,7 Mo, les vues
    d'administration 1 Mo et ce que Flask-Admin en déduit au démarrage
    (colonnes, filtres, formulaires) 1,4 Mo ;
    tous les services réunis (exports, plans, réunions, courriel, open data,
    RGPD, recherche, historique, commandes) ne font que 2,2 Mo, dont 1 Mo au
    plus sert seulement à des pages ou commandes rares (import de fichiers et
    `xml.etree`, paquet open data, RGPD, commandes et jeu de démonstration) ;
    les différer tous demanderait de rendre les commandes paresseuses (le
    choix des types d'import de `import-data` est lu à leur définition) pour
    environ 1 Mo : non fait.
  - Python lancé avec `-OO` (`PYTHONOPTIMIZE=2` dans l'environnement du
    serveur) démarre à 76,2 Mo : les docstrings ne sont pas chargées. Non
    retenu par défaut : l'aide des commandes `cdpl-gestion` est faite de
    leurs docstrings.
  Même avec tout cela (Pillow écarté de Flask-Admin, services différés,
  `-OO`) le serveur resterait vers 72 Mo : 70 Mo demanderait de retirer une
  bibliothèque de base.
- `tests/test_memory.py` vérifie en plus qu'un processus SQLite neuf
  (`create_app` et une première page) ne charge pas
  `sqlalchemy.dialects.postgresql`, que la condition de l'index partiel est
  bien dans le DDL PostgreSQL, que `ready_to_serve` fixe les seuils et que,
  seuils fixés, 40 Mo de blocs de 400 Kio libérés sous un bloc encore utilisé
  sont rendus au système (gardés sans le réglage).

## Issue 21, quatrième passage : la queue d'un client, le tas chaud gelé

Mesuré le 2 décembre 2026 entre 03 h 05 et 03 h 25 UTC (charge 0,3 à 1,1),
`python -m bench.tail --db sqlite|postgresql --priority`, deux passages par
base : deux serveurs sur le même jeu 100×, l'un comme avant
(`BENCH_NO_WARM_FREEZE=1` : seul le tas de démarrage gelé), l'autre avec le
tas chaud gelé ; pour chacune des 106 listes de `bench.run` (premières pages,
pages profondes, filtres, recherches, sélecteurs), 2 requêtes d'échauffement
puis 20 à chaque serveur tour à tour (au second passage, chacun le premier un
tour sur deux).

| Listes dont le p99 dépasse 2× la médiane (sur 106) | avant | après |
|---|---:|---:|
| SQLite, 1ᵉʳ passage | 18 | **11** |
| SQLite, 2ᵉ passage | 23 | **11** |
| PostgreSQL, 1ᵉʳ passage | 13 | **5** |
| PostgreSQL, 2ᵉ passage | 15 | **10** |

Les médianes ne bougent pas (somme des médianes des 106 listes, SQLite, 2ᵉ
passage : 2 859 ms avant, 2 740 ms après).

- **Ce qui a changé** (`app/perf.py`, `freeze_warm_heap`) : un processus qui
  sert (`ready_to_serve` : `wsgi.py`, `cdpl-gestion serve`, serveur du banc)
  ramasse son tas et le gèle de nouveau à la fin de sa 100ᵉ, 300ᵉ, 1 000ᵉ,
  3 000ᵉ et 10 000ᵉ requête, la session de la requête fermée d'abord. Les
  premières requêtes remplissent des caches gardés toute la vie du processus
  (requêtes SQL compilées, gabarits, données de langue de Babel, modules
  importés là où ils servent : ~43 000 objets après les listes du banc) ;
  laissés au collecteur, chaque collecte complète les parcourait de nouveau.
  Dans le processus (client de test, 85 listes × 22 requêtes, durées des
  collectes par `gc.callbacks`) : collectes de génération 2 de 16 ms en
  médiane, jusqu'à 66 ms, une pour 75 requêtes environ ; après, 9 ms en
  médiane, 16 ms au plus ; listes manquées 9 → 3.
- **Pourquoi pas après chaque collecte** : essayé d'abord. Geler à la fin de
  chaque collecte complète garde aussi ce que les requêtes en cours tenaient ;
  mort plus tard dans un cycle, ce n'est jamais rendu : +32 Mo en 1 500
  requêtes (mesuré), même en gelant entre deux requêtes. Cinq fois dans la
  vie d'un processus, la mémoire ne bouge pas (99 Mo après les mêmes requêtes,
  98 Mo sans).
- **Pourquoi la cible reste manquée** : une collecte complète pendant une
  requête coûte encore ~9 ms, soit les objets de la requête en cours et les
  déchets cycliques des précédentes, environ 950 objets par page de liste.
  Chaque objet chargé par SQLAlchemy forme un cycle avec la référence faible
  qui le suit (`InstanceState._cleanup`), et les macros Jinja un autre avec
  leur contexte ; vider les contextes Jinja après le rendu n'en retire que 6 %.
  Sur une liste de médiane 6 à 15 ms, la requête sur vingt qui subit la
  collecte dépasse 2×. Relever le seuil de la génération 2 espace les
  collectes mais les allonge (33 à 95 ms, +14 Mo) ; relever celui de la
  génération 0 (2 000, 5 000, 20 000) n'a rien gagné. Non retenus.
- **Tableau de bord** (`app/meetings/dashboard.py`) : le responsable et le
  groupe de chaque action, le groupe de chaque réunion, sont joints aux lignes
  de leur liste (une requête au lieu de trois), et les totaux comptent la
  table elle-même, pas une sous-requête de toutes ses colonnes : 19 → 12
  requêtes sur PostgreSQL (13 sur SQLite). `bench.run --only "tableau de
  bord"` : PostgreSQL 28,7 ms, SQLite 14,4 ms, sur la machine chargée de ce
  matin (au repos avant : 25,2 ms). Dans le processus, sept tours alternés
  avant / après sur PostgreSQL : 47 → 43 ms de médiane, 34 → 28 ms de CPU
  (machine chargée). `test_dashboard_stays_small_with_thousands_of_open_actions`
  borne maintenant le nombre de requêtes à 9 avec des responsables : il
  échoue (11) avec l'ancien chargement.
- **Passages complets de 04 h 10 à 04 h 21** (`bench.run --db
  postgresql|sqlite --priority --no-doc`, avec ces changements, charge 0,2 à
  2,1 ; non reportés dans les sections « SQLite » et « PostgreSQL »
  ci-dessus, qui restent celles du passage au repos de 01 h 09). PostgreSQL,
  deux passages :
  - tableau de bord 27,6 et 26,6 ms (12 requêtes), sous les 30 ms dans le
    passage complet, là où il faisait 35 et 46 ms avec 19 requêtes ;
  - un client : 6 et 9 listes sur 106 au-delà de 2× leur médiane ;
  - 2 processus : 2,49× un seul.

  SQLite, un passage :
  - tableau de bord 34,7 ms (CPU 29,5 ms) ; la machine était alors lente,
    puisque dans le processus, juste après, la liste des membres prenait
    25 ms contre 16,6 ms une heure plus tôt ;
  - sept tours alternés avant / après dans le processus : après ≤ avant à
    chaque tour (26,6 à 32,0 ms contre 27,1 à 35,1 ms) ;
  - un client : 21 listes sur 106 ;
  - mémoire après démarrage : 80,2 Mo.
- `tests/test_memory.py` : le tas est gelé à la requête prévue, pas avant ni
  entre deux, la session de la requête déjà fermée ; rien hors d'un serveur
  (tests, commandes) ; `ready_to_serve` l'active. Cassures essayées : plus de
  gel, session non fermée (un test échoue chaque fois).

## Issue 21, cinquième passage : les jeunes générations collectées avant chaque requête

Mesuré le 2 décembre 2026 entre 05 h 40 et 07 h 10 UTC, sur une machine neuve
et seule (charge 0,5 à 1,6), jeu 100× reconstruit.

- **Ce qui a changé** (`app/perf.py`, `CollectBeforeRequest`) : un processus
  qui sert collecte ses deux jeunes générations (`gc.collect(1)`) à l'arrivée
  de chaque requête, avant que Flask ne crée ses contextes, quand aucune autre
  requête n'est en cours (un intergiciel WSGI autour de `app.wsgi_app`) ; le
  tas chaud est gelé 12 fois au lieu de 5 (à la 50ᵉ, 100ᵉ, 200ᵉ, 300ᵉ, 500ᵉ,
  700ᵉ, 1 000ᵉ, 1 500ᵉ, 2 000ᵉ, 3 000ᵉ, 5 000ᵉ et 10 000ᵉ requête). Sous
  charge (une autre requête en cours), rien de nouveau : le collecteur décide
  seul, comme avant.
- **Pourquoi** : dans le processus (client de test, 24 listes × 20 requêtes,
  `gc.callbacks`), une collecte de génération 2 de 4 à 9 ms revenait toutes
  les 80 requêtes environ et libérait 5 000 à 17 000 objets : les déchets
  cycliques des requêtes précédentes (~950 objets par page de liste), promus
  par la première collecte de la requête suivante. Collectés avant, ils ne
  montent plus ; la collecte coûte 0,13 ms en médiane (0,6 ms au plus sur les
  104 listes du banc).
- **Essayé et écarté** :
  - une collecte complète à chaque requête : 2,4 ms en médiane (elle parcourt
    les caches réchauffés depuis le dernier gel), médianes +10 % ;
  - la collecte jeune depuis le `close` de la réponse, une fois le corps
    envoyé : la meilleure queue (`bench.tail` : 0 liste sur 104 au-delà de 2×,
    SQLite et PostgreSQL), mais le serveur pré-forké du banc donnait alors les
    8 connexions au processus qui venait de répondre (`ss -tnp`) :
    2 processus 65,9 req/s contre 63,8 pour un seul (120,6 avant) ;
  - depuis le signal `request_started` : les contextes de la requête, déjà
    créés, étaient promus chaque fois et mouraient dans la vieille
    génération : 14 listes sur 106 au-delà de 2× au passage complet SQLite ;
  - geler après chaque collecte complète faite au repos : 658 000 objets
    gelés et 218 Mo après 2 288 requêtes dans le processus ;
  - relever le seuil de la génération 2 (100 au lieu de 10) : collectes de
    20 à 130 ms.
- **`bench.tail`** (`python -m bench.tail --db sqlite|postgresql --priority`,
  second serveur `BENCH_COLLECTOR_TIMING=1` : ni collecte avant la requête ni
  gels ajoutés, comme avant ; 106 listes, 20 requêtes chacune à chaque
  serveur tour à tour) :

  | Listes dont le p99 dépasse 2× la médiane (sur 106) | avant | après | mémoire à la fin, avant / après |
  |---|---:|---:|---|
  | SQLite, 06 h 36 | 4 | **0** | 141,1 / 132,8 Mo |
  | PostgreSQL, 06 h 38 | 4 | **0** | 138,8 / 133,9 Mo |

  Le pire rapport p99 / médiane passe de 2,82 à 1,73 (SQLite) et de 2,64 à
  1,81 (PostgreSQL). Les médianes ne bougent pas : rapport après / avant
  médian 1,008 et 1,005 ; somme des 106 médianes 1 794 contre 1 847 ms et
  2 033 contre 2 089 ms.
- **Passages complets** (`python -m bench.run --db sqlite|postgresql
  --priority --no-doc`, 06 h 29 et 06 h 33 ; non reportés dans les sections
  « SQLite » et « PostgreSQL » ci-dessus, qui restent celles de 01 h 09 :
  `bench.report` les refait des fichiers `bench/out/*.json`, absents de cette
  machine neuve) :

  | | SQLite | PostgreSQL |
  |---|---|---|
  | Un client : listes avec p99 ≤ 2× la médiane | **104 sur 106** (sélecteur de plan 6,8 / 14,6 ms, consentements 6,7 / 13,8 ms) | **106 sur 106** |
  | Tableau de bord | **12,5 ms** (13 requêtes) | **18,9 ms** (12 requêtes) |
  | 2 processus / 1 (liste) | 147,1 / 66,0 req/s (2,23×) | 106,8 / 60,1 req/s (1,78×) |
  | Mémoire après démarrage | 79,9 Mo | 93,3 Mo |
  | Après 6 exports de 400 000 présences | 95,8 Mo (1,20×) | 105,8 Mo (1,13×) |
  | Première page membres / présences | 13,6 / 11,7 ms | 15,8 / 12,5 ms |
  | 8 lecteurs, p99 (liste, fiche ; 1 processus) | 179 / 248 ms | 187 / 367 ms |
  | Lectures et écritures mêlées | 215/215 et 378/378 écritures, 0 verrou | 149/149 et 272/272 |

  Second passage, 07 h 01 et 07 h 05 : un client 105 sur 106 sur SQLite
  (première page des actions, 11,5 / 23,5 ms) et 104 sur 106 sur PostgreSQL
  (page profonde des groupes 10,0 / 20,4 ms, sélecteur de plan 3,7 / 8,0 ms) ;
  tableau de bord 12,9 et 19,4 ms ; 2 processus 2,22× et 1,80× ; mémoire
  après démarrage 80,0 et 93,4 Mo, après les exports 95,9 et 105,8 Mo.

- `tests/test_memory.py` : la collecte jeune a lieu une fois par requête
  (404 compris), avant que Flask ne crée les contextes de la requête et ne la
  distribue, jamais quand une autre requête est en cours, jamais hors d'un
  serveur ; le gel, à la requête prévue, après une collecte complète.
  Cassures essayées, chacune fait échouer au moins un test : collecte
  complète au lieu de la jeune, requêtes en cours ignorées, compteur jamais
  décrémenté, collecte après la requête au lieu d'avant, collecte depuis
  `request_started`, collecte hors d'un serveur, plus de collecte,
  intergiciel non installé.
"""


#: Where the part of docs/performance.md that this module does not write
#: begins: the import bench's blocks (``bench.imports``) and the notes written
#: by hand after them, kept as they are when the rest is rebuilt.
KEPT_FROM = "<!-- bench.imports:"


def _kept_tail(text: str) -> str:
    at = text.find(KEPT_FROM)
    return text[at:].rstrip() if at >= 0 else ""


class SectionsWouldBeLost(RuntimeError):
    """A rebuild would drop sections of docs/performance.md whose results are
    not in bench/out (a new machine, a clean clone: the JSON files are not
    committed)."""


def _headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("## ")]


def write_report(force: bool = False) -> Path:
    """Rebuild docs/performance.md from the JSON results, keeping its tail
    (``KEPT_FROM``).

    Refused (``SectionsWouldBeLost``, the file left as it is) when the rebuilt
    file would lose a section the current one has, unless ``force``: the
    sections come from bench/out/*.json, which a new machine does not have, and
    a bench run there once silently dropped every other section.
    """
    current = r.DOC.read_text(encoding="utf-8") if r.DOC.exists() else ""
    kept = _kept_tail(current)
    results = load_results()
    lines = [HEADER]
    for res in results:
        lines += section(res)
    lines += formats_section()
    for res in load_partial_results():
        lines += partial_section(res)
    for res in load_search_results():
        lines += search_section(res)
    lines.append(WHY)
    if any(res.get("concurrency") for res in results):
        lines.append(WHY_21)
    if kept:
        lines.append(kept)
    text = "\n".join(lines).rstrip() + "\n"
    if not force:
        rebuilt = set(_headings(text))
        lost = [h for h in _headings(current) if h not in rebuilt]
        if lost:
            raise SectionsWouldBeLost(
                f"{r.DOC} laissé tel quel : refait depuis {r.OUT}, il perdrait "
                + " ; ".join(f"« {h[3:]} »" for h in lost)
                + ". Lancer les bancs qui les écrivent, ou `python -m "
                "bench.report --force` pour le refaire quand même."
            )
    r.DOC.parent.mkdir(parents=True, exist_ok=True)
    r.DOC.write_text(text, encoding="utf-8")
    return r.DOC


def write_report_or_say_why() -> Path | None:
    """``write_report`` for the benches that end with it (``bench.run``,
    ``bench.search``): a refusal is printed, not raised, their results being
    in bench/out all the same."""
    try:
        return write_report()
    except SectionsWouldBeLost as refused:
        print(refused)
        return None


def main(argv: list[str] | None = None) -> None:
    """Rebuild docs/performance.md from bench/out/*.json."""
    import argparse  # only for this command line

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--force", action="store_true", help="rebuild even if sections are lost"
    )
    args = parser.parse_args(argv)
    try:
        print(write_report(force=args.force))
    except SectionsWouldBeLost as refused:
        raise SystemExit(str(refused)) from None


if __name__ == "__main__":
    main()
