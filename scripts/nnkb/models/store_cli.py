"""`nnkb models fetch|add|list`: the pretrained files of the KB in the model store.

- `fetch [ID...]` downloads every pinned file (`onnx.source: url`) that the store lacks, with
  a progress bar, resuming a partial download, and keeps it only when its sha256 matches.
- `add PATH...` imports files obtained another way: each must have the sha256 of a KB
  model's pinned file, or it is refused and named.
- `list` shows every KB model with an ONNX file, where it comes from and whether the file
  is here.

Exit status 1 when a file could not be fetched or added (each named on its own line);
the files that did arrive stay in the store.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

from tqdm import tqdm

from ..kb import KBError, Model, load_kb
from .download import DEADLINE_SECONDS, DownloadError, fetch
from .files import sha256_file
from .store import ModelStore


def _fail(message: str) -> int:
    print(f"nnkb models: {message}", file=sys.stderr)
    return 1


def _pinned(models: dict[str, Model]) -> dict[str, Model]:
    """The KB models whose file the store keeps (url sources), by id."""
    return {i: m for i, m in sorted(models.items()) if m.onnx and m.onnx.source == "url"}


def _choose(pinned: dict[str, Model], all_ids: list[str], ids: list[str]) -> list[Model]:
    chosen = []
    for model_id in ids:
        if model_id in pinned:
            chosen.append(pinned[model_id])
            continue
        if model_id in all_ids:
            raise KBError(
                f"model {model_id!r} has no downloadable file (its onnx source is not url); "
                f"models with one: {', '.join(pinned) or 'none'}"
            )
        close = difflib.get_close_matches(model_id, all_ids, n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        raise KBError(f"unknown model id {model_id!r}; {hint}known ids: {', '.join(all_ids)}")
    return chosen


def run_fetch(args: argparse.Namespace, store: ModelStore, models: dict[str, Model]) -> int:
    pinned = _pinned(models)
    chosen = _choose(pinned, sorted(models), args.ids) if args.ids else list(pinned.values())
    failed = 0
    for model in chosen:
        spec = model.onnx
        assert spec is not None and spec.url and spec.sha256
        if store.find(spec.sha256) is not None:
            print(f"{model.id}: in the store")
            continue
        bar = tqdm(
            total=spec.size, unit="B", unit_scale=True, desc=model.id, file=sys.stderr,
            disable=None, leave=False,
        )  # fmt: skip

        def progress(done: int, total: int | None, bar: tqdm = bar) -> None:
            bar.update(done - bar.n)

        try:
            fetch(store, spec.url, spec.sha256, spec.size, args.deadline, progress)
        except (DownloadError, OSError) as exc:
            failed += 1
            text = exc if isinstance(exc, DownloadError) else exc.strerror or exc
            print(f"nnkb models: {model.id}: {text}", file=sys.stderr)
        else:
            print(f"{model.id}: fetched ({spec.size or 0:,} bytes, sha256 verified)")
        finally:
            bar.close()
    return 1 if failed else 0


def run_add(args: argparse.Namespace, store: ModelStore, models: dict[str, Model]) -> int:
    by_sha: dict[str, list[str]] = {}
    for model_id, model in _pinned(models).items():
        by_sha.setdefault(model.onnx.sha256 or "", []).append(model_id)  # type: ignore[union-attr]
    failed = 0
    for path in args.paths:
        try:
            if not path.is_file():
                raise OSError(f"{path}: not a file")
            digest = sha256_file(path)
        except OSError as exc:
            failed += 1
            print(f"nnkb models: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            continue
        owners = by_sha.get(digest)
        if not owners:
            failed += 1
            print(
                f"nnkb models: {path}: its sha256 {digest} is the pin of no KB model with a "
                "url source; nothing was added",
                file=sys.stderr,
            )
            continue
        try:
            store.put(path, digest)
        except OSError as exc:
            failed += 1
            print(f"nnkb models: {path}: cannot store: {exc.strerror or exc}", file=sys.stderr)
            continue
        print(f"{path}: added as {', '.join(owners)}")
    return 1 if failed else 0


def run_list(args: argparse.Namespace, store: ModelStore, models: dict[str, Model]) -> int:
    rows = []
    for model_id, model in sorted(models.items()):
        spec = model.onnx
        if spec is None:
            continue
        if spec.source == "url":
            here = "in the store" if store.find(spec.sha256 or "") else "missing"
            where = spec.url or ""
        elif spec.source == "package":
            here, where = "from package", f"{spec.package}: {spec.resource}"
        elif spec.source == "file":
            here, where = "repository file", spec.path or ""
        else:
            here, where = "built", f"builtin {spec.builder} (random weights)"
        rows.append((model_id, spec.weights, here, where))
    width = max((len(r[0]) for r in rows), default=5)
    print(f"model store: {store.root}")
    for model_id, weights, here, where in rows:
        print(f"  {model_id:<{width}}  {weights:<10}  {here:<15}  {where}")
    missing = [r[0] for r in rows if r[2] == "missing"]
    if missing:
        print(f"{len(missing)} missing: nnkb models fetch (or nnkb models add FILE...)")
    return 0


COMMANDS = {"fetch": run_fetch, "add": run_add, "list": run_list}


def add_parser(sub: argparse._SubParsersAction, add_kb) -> None:
    """The `models` command and its three subcommands."""
    p = sub.add_parser("models", help="fetch, add and list the pretrained model files")
    actions = p.add_subparsers(dest="action", required=True)
    a = actions.add_parser("fetch", help="download the pinned files the model store lacks")
    add_kb(a)
    a.add_argument("ids", nargs="*", metavar="ID", help="only these kb/models ids")
    a.add_argument(
        "--deadline",
        type=float,
        default=DEADLINE_SECONDS,
        metavar="SECONDS",
        help=f"give up on one file after this long (default {DEADLINE_SECONDS:.0f}); a later "
        "fetch resumes it",
    )
    a = actions.add_parser("add", help="import files obtained another way, checked by sha256")
    add_kb(a)
    a.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="ONNX files to import")
    a = actions.add_parser("list", help="every KB model's file and whether it is here")
    add_kb(a)


def run(args: argparse.Namespace) -> int:
    kb_dir = Path(args.kb)
    if not (kb_dir / "models").is_dir():
        return _fail(f"{kb_dir}: no models/ folder; expected a knowledge base folder (--kb DIR)")
    if getattr(args, "deadline", 1.0) <= 0:
        return _fail("--deadline: expected a positive number of seconds")
    try:
        kb = load_kb(kb_dir)
        store = ModelStore.default()  # NNKB_MODEL_STORE: the bench reads the same one
        return COMMANDS[args.action](args, store, kb.models)
    except KBError as exc:
        return _fail(f"{exc} (run `nnkb validate` for every problem)")
