"""Build notebooks/05_go_policy.ipynb (run: python notebooks/build_05_go_policy.py)."""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

cells = [
    new_markdown_cell(
        "# A Go policy network\n\n"
        "The shipped preset is a small CNN (a 5x5 layer, then 3x3 layers, no pooling, a 1x1 head and a "
        "softmax over the 361 points) trained on professional games. We look at its move probabilities on "
        "a real position, its move-prediction accuracy by move number on held-out games, and a game it played "
        "against GNU Go.\n\nWith `CNNKIT_FAST=1` (the test suite) everything runs on a few games."),
    new_code_cell(
        "import os\nfrom pathlib import Path\n\nimport matplotlib.pyplot as plt\nimport numpy as np\n\n"
        "from shared.data import folder, path\n"
        "from apps.go_policy.rules.board import Board, point_to_gtp\n"
        "from apps.go_policy.presets import DEFAULT_PRESET\n"
        "from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths\n"
        "from apps.go_policy.play.engine import PolicyEngine, load_policy\n"
        "from apps.go_policy.plotting import draw_board, plot_accuracy_by_move\n"
        "from apps.go_policy.rules.records import parse_game\n\n"
        "FAST = os.environ.get('CNNKIT_FAST', '') not in ('', '0')\n"
        "model = load_policy(DEFAULT_PRESET)\nengine = PolicyEngine(model)\n"
        "print('fast mode:', FAST, '| preset:', DEFAULT_PRESET.name, '| planes:', model.input_shape[-1], "
        "'| parameters:', model.count_params())"),
    new_markdown_cell("## Move probabilities on a professional position\n"
                      "A game from the sample folder, replayed to move 40 and 120. The heatmap is the network's "
                      "probability of each legal, sensible move; the red dot is the move the professional played "
                      "next."),
    new_code_cell(
        "sample = sorted((folder('go_pro') / 'sample').glob('*.sgf'))[3]\n"
        "game = parse_game(sample.read_bytes(), sample.name)\nprint(sample.name, game.black, 'vs', game.white, game.result)\n"
        "fig, axes = plt.subplots(1, 2, figsize=(11, 5.5))\n"
        "for ax, moves in zip(axes, (40, 120)):\n"
        "    board = game.board(moves)\n"
        "    probabilities = engine.move_probabilities(board)\n"
        "    actual = game.moves[moves][1]\n"
        "    rank = int((probabilities > probabilities[actual]).sum()) + 1\n"
        "    draw_board(board, probabilities, ax=ax, last_move=actual,\n"
        "               title=f'move {moves + 1}: pro played {point_to_gtp(actual, 19)} (network rank {rank})')\n"
        "plt.tight_layout(); plt.show()"),
    new_markdown_cell("## Accuracy by move number on held-out games\n"
                      "Shard 12 of the collection was not used for training. Openings are predicted best (joseki "
                      "and fuseki repeat), the middle game worst."),
    new_code_cell(
        "games = 2 if FAST else 40\n"
        "manifest = encode_dataset([path('go_pro', 'cwi_pro_19x19_part12.tar.gz')], features=model.features,\n"
        "                          max_games=games, validation=0.0, test=0.0, workers=1, progress=False)\n"
        "x, y, move_numbers = load_positions(shard_paths(manifest, 'train'))\n"
        "probabilities = model.predict(x, batch_size=256, verbose=0)\n"
        "top5 = np.argsort(probabilities, axis=1)[:, -5:]\n"
        "correct1 = probabilities.argmax(axis=1) == y\ncorrect5 = (top5 == y[:, None]).any(axis=1)\n"
        "print(f'{len(y)} positions from {games} games: top-1 {correct1.mean():.3f}, top-5 {correct5.mean():.3f}')\n"
        "ax = plot_accuracy_by_move(move_numbers, correct1, label='top-1')\n"
        "plot_accuracy_by_move(move_numbers, correct5, ax=ax, label='top-5')\nax.legend(); plt.show()"),
    new_markdown_cell("## Reviewing a game\n"
                      "`review_game` (`cnnkit go review` on the command line) replays the same professional game "
                      "and gives, at every move, the network's probability of the played move and its rank among "
                      "the sensible moves: rank 1 is the move the engine would have played. Most moves are in its "
                      "top five; the few it found very unlikely are the game's surprises."),
    new_code_cell(
        "from apps.go_policy.play.review import review_game, review_summary\n\n"
        "reviews = review_game(engine, game)\nsummary = review_summary(game, reviews, surprises=5)\n"
        "for who, agreement in summary['agreement'].items():\n"
        "    print(f\"{who:<5} top-1 {agreement['top1']:.1%}, top-5 {agreement['top5']:.1%} of {agreement['moves']} moves\")\n"
        "for surprise in summary['surprises']:\n"
        "    print(f\"move {surprise['number']}: {surprise['color']} {surprise['played']} \"\n"
        "          f\"({surprise['probability']:.2%}, rank {surprise['rank']}; network: {surprise['network_choice']})\")\n"
        "fig, ax = plt.subplots(figsize=(11, 3.5))\n"
        "for color, marker in (('B', 'o'), ('W', 's')):\n"
        "    mine = [r for r in reviews if r.color == color]\n"
        "    ax.scatter([r.number for r in mine], [max(r.probability, 1e-4) for r in mine], s=12, marker=marker,\n"
        "               label=game.black if color == 'B' else game.white)\n"
        "ax.set_yscale('log'); ax.set_xlabel('move'); ax.set_ylabel('probability of the played move')\n"
        "ax.legend(); plt.show()"),
    new_markdown_cell("## A game against GNU Go\n"
                      "The committed benchmark games are in `benchmarks/results/go_match_games/`. We replay the "
                      "first one; if it is missing (or in fast mode) we play a short 9x9 game against GNU Go level "
                      "0 right here."),
    new_code_cell(
        "import shutil\nimport tempfile\nfrom apps.go_policy.play.match import play_match\n\n"
        "committed = Path('benchmarks/results/go_match_games/game_001.sgf')\n"
        "if committed.exists() and not FAST:\n"
        "    record = parse_game(committed.read_bytes(), committed.name)\n"
        "else:\n"
        "    gnugo = shutil.which('gnugo') or '/usr/games/gnugo'\n"
        "    out = Path(tempfile.mkdtemp())\n"
        "    result = play_match(engine, f'{gnugo} --mode gtp --level 0', games=1, size=9, out=out,\n"
        "                        max_moves=30 if FAST else None, progress=False)\n"
        "    print(result['game_records'][0]['result'], result['win_rate_ci95'])\n"
        "    record = parse_game((out / 'game_001.sgf').read_bytes(), 'game_001.sgf', min_moves=0)\n"
        "print(record.black, '(black) vs', record.white, '(white):', record.result, len(record.moves), 'moves')\n"
        "snapshots = [len(record.moves) // 3, 2 * len(record.moves) // 3, len(record.moves)]\n"
        "fig, axes = plt.subplots(1, 3, figsize=(15, 5))\n"
        "for ax, moves in zip(axes, snapshots):\n"
        "    board = record.board(moves)\n"
        "    last = record.moves[moves - 1][1] if moves else None\n"
        "    draw_board(board, ax=ax, last_move=last, title=f'after move {moves}')\n"
        "plt.tight_layout(); plt.show()"),
    new_markdown_cell("## Playing it yourself\n"
                      "`cnnkit go play` is a game against the engine in the terminal, as GNU Go's ASCII mode: "
                      "the board with the last move in parentheses, and commands `D4`, `pass`, `undo`, "
                      "`hint [N]`, `score`, `save FILE`, `resign`, `help`, `quit`. Here `TerminalGame` reads "
                      "three typed lines from a list instead of the keyboard on a 9x9 board."),
    new_code_cell(
        "from apps.go_policy.play.gtp import GtpEngine\nfrom apps.go_policy.play.terminal import TerminalGame\n\n"
        "gtp = GtpEngine(engine, size=9, komi=7.5)\n"
        "outcome = TerminalGame(gtp, echo=True).run(['E5', 'hint 3', 'quit'])\nprint(outcome)"),
    new_markdown_cell("## From the command line\n"
                      "```\ncnnkit go train --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part01.tar.gz --max-games 800 "
                      "--out runs/go\ncnnkit go evaluate --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part12.tar.gz "
                      "--max-games 200 --json\ncnnkit go review --sgf GAME.sgf --out reviewed.sgf\ncnnkit go gtp   # for GoGui / Sabaki\ncnnkit go play --size 9   # in the terminal\n"
                      "cnnkit go match --opponent \"gnugo --mode gtp --level 10\" --games 10 --size 19\n```"),
]

notebook = new_notebook(cells=cells, metadata={"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                              "language": "python"}})
target = Path(__file__).resolve().parent / "05_go_policy.ipynb"
nbformat.write(notebook, target)
print("wrote", target)
