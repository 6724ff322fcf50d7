# %% [markdown]
# # A Go policy network
#
# The shipped preset `policy_large`, loaded by name, picks its move at move 20 of a professional
# game it never saw (shard 12 of the collection); the professional, White, played C9.

# %%
from apps.go_policy.presets import predict_example
from shared.presets import load_preset

policy = load_preset("policy_large")
predict_example(policy, {"input": {"source": "cwi_pro_19x19_part12.tar.gz:AJ1st/01/9.sgf", "move_number": 20}})

# %% [markdown]
# The preset is a CNN (a 5x5 layer, then 3x3 layers, no pooling, a 1x1 head and a
# softmax over the 361 points) trained on professional games. We look at its move probabilities
# on a real position, its move-prediction accuracy by move number on held-out games, and a game
# it played against GNU Go.
#
# With `CNNKIT_FAST=1` (the test suite) everything runs on a few games.

# %%
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from apps.go_policy.model.data import encode_dataset, load_positions, shard_paths
from apps.go_policy.play.engine import PolicyEngine
from apps.go_policy.plotting import draw_board, plot_accuracy_by_move
from apps.go_policy.rules.board import point_to_gtp
from apps.go_policy.rules.records import parse_game
from shared.cli import fast_mode
from shared.data import folder, path

FAST = fast_mode()
model = policy
engine = PolicyEngine(model)
print('fast mode:', FAST, '| preset: policy_large | planes:', model.input_shape[-1],
      '| parameters:', model.count_params())

# %% [markdown]
# ## Move probabilities on a professional position
# A game from the sample folder, replayed to move 40 and 120. The heatmap is the network's
# probability of each legal, sensible move; the red dot is the move the professional played next.

# %%
sample = sorted((folder('go_pro') / 'sample').glob('*.sgf'))[3]
game = parse_game(sample.read_bytes(), sample.name)
print(sample.name, game.black, 'vs', game.white, game.result)
fig, axes = plt.subplots(1, 2, figsize=(11, 5.5))
for ax, moves in zip(axes, (40, 120)):
    board = game.board(moves)
    probabilities = engine.move_probabilities(board)
    actual = game.moves[moves][1]
    rank = int((probabilities > probabilities[actual]).sum()) + 1
    draw_board(board, probabilities, ax=ax, last_move=actual,
               title=f'move {moves + 1}: pro played {point_to_gtp(actual, 19)} (network rank {rank})')
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Accuracy by move number on held-out games
# Shard 12 of the collection was not used for training. The curves show how well the network
# predicts the professional's move in each phase of the game.

# %%
games = 2 if FAST else 40
manifest = encode_dataset([path('go_pro', 'cwi_pro_19x19_part12.tar.gz')], features=model.features,
                          max_games=games, validation=0.0, test=0.0, workers=1, progress=False)
x, y, move_numbers = load_positions(shard_paths(manifest, 'train'))
probabilities = model.predict(x, batch_size=256, verbose=0)
top5 = np.argsort(probabilities, axis=1)[:, -5:]
correct1 = probabilities.argmax(axis=1) == y
correct5 = (top5 == y[:, None]).any(axis=1)
print(f'{len(y)} positions from {games} games: top-1 {correct1.mean():.3f}, top-5 {correct5.mean():.3f}')
ax = plot_accuracy_by_move(move_numbers, correct1, label='top-1')
plot_accuracy_by_move(move_numbers, correct5, ax=ax, label='top-5')
ax.legend()
plt.show()

# %% [markdown]
# ## Reviewing a game
# `review_game` (`cnnkit go review` on the command line) replays the same professional game and
# gives, at every move, the network's probability of the played move and its rank among the
# sensible moves: rank 1 is the move the engine would have played. The moves it found least
# likely are the game's surprises.

# %%
from apps.go_policy.play.review import review_game, review_summary

reviews = review_game(engine, game)
summary = review_summary(game, reviews, surprises=5)
for who, agreement in summary['agreement'].items():
    print(f"{who:<5} top-1 {agreement['top1']:.1%}, top-5 {agreement['top5']:.1%} of {agreement['moves']} moves")
for surprise in summary['surprises']:
    print(f"move {surprise['number']}: {surprise['color']} {surprise['played']} "
          f"({surprise['probability']:.2%}, rank {surprise['rank']}; network: {surprise['network_choice']})")
fig, ax = plt.subplots(figsize=(11, 3.5))
for color, marker in (('B', 'o'), ('W', 's')):
    mine = [r for r in reviews if r.color == color]
    ax.scatter([r.number for r in mine], [max(r.probability, 1e-4) for r in mine], s=12, marker=marker,
               label=game.black if color == 'B' else game.white)
ax.set_yscale('log')
ax.set_xlabel('move')
ax.set_ylabel('probability of the played move')
ax.legend()
plt.show()

# %% [markdown]
# ## A game against GNU Go
# The committed benchmark games are in `benchmarks/results/go_match_games/`. We replay the first
# one; if it is missing (or in fast mode) we play a short 9x9 game against GNU Go level 0 right here.

# %%
import shutil
import tempfile

from apps.go_policy.play.match import play_match

committed = Path('benchmarks/results/go_match_games/game_001.sgf')
if committed.exists() and not FAST:
    record = parse_game(committed.read_bytes(), committed.name)
else:
    gnugo = shutil.which('gnugo') or '/usr/games/gnugo'
    out = Path(tempfile.mkdtemp())
    result = play_match(engine, f'{gnugo} --mode gtp --level 0', games=1, size=9, out=out,
                        max_moves=30 if FAST else None, progress=False)
    print(result['game_records'][0]['result'], result['win_rate_ci95'])
    record = parse_game((out / 'game_001.sgf').read_bytes(), 'game_001.sgf', min_moves=0)
print(record.black, '(black) vs', record.white, '(white):', record.result, len(record.moves), 'moves')
snapshots = [len(record.moves) // 3, 2 * len(record.moves) // 3, len(record.moves)]
fig, axes = plt.subplots(1, 3, figsize=(15, 5))
for ax, moves in zip(axes, snapshots):
    board = record.board(moves)
    last = record.moves[moves - 1][1] if moves else None
    draw_board(board, ax=ax, last_move=last, title=f'after move {moves}')
plt.tight_layout()
plt.show()

# %% [markdown]
# ## Tactical reading: the smallest search
# A policy network sees liberties as input planes but does not read a ladder out, and the
# engine's lost games against GNU Go turn on strings of three or more stones it loses. With
# `tactics=True` (`cnnkit go gtp --tactics`) the engine reads out every string short of
# liberties before it moves (`apps.go_policy.play.tactics`). Here White's stone at D4 is in
# atari: the ladder works on an empty board, and a white stone on its path (G7) breaks it.

# %%
from apps.go_policy.play.tactics import saving_moves
from apps.go_policy.rules.board import BLACK, WHITE, Board, gtp_to_point


def ladder(breaker=None):
    board = Board(9)
    for vertex in ('C4', 'D5', 'D3', 'E3'):
        board.place_setup(BLACK, gtp_to_point(vertex, 9))
    for vertex in ['D4'] + ([breaker] if breaker else []):
        board.place_setup(WHITE, gtp_to_point(vertex, 9))
    board.to_move = WHITE
    return board


fig, axes = plt.subplots(1, 2, figsize=(10, 5))
for ax, breaker in zip(axes, (None, 'G7')):
    board = ladder(breaker)
    escapes = [point_to_gtp(move, 9) for move in saving_moves(board, gtp_to_point('D4', 9))]
    draw_board(board, ax=ax, title=f"breaker {breaker or 'none'}: White escapes by {escapes or 'nothing'}")
plt.tight_layout()
plt.show()

# %% [markdown]
# What the reading changes in the matches against GNU Go, the same preset and the same game
# numbers (GNU Go seeds and colors) with and without it: the committed records.

# %%
import json

for name, engine_name in (('go_match_19x19_level10_8_symmetries_gpu_continuation_all_games', 'network alone'),
                          ('go_match_19x19_level10_8_symmetries_tactics_gpu_continuation_all_games',
                           'with tactical reading')):
    record = Path('benchmarks/results') / f'{name}.json'
    if record.exists():
        m = json.loads(record.read_text())['metrics']
        low, high = m['win_rate_ci95']
        print(f"{engine_name}: {m['wins']} of {m['games']} won, {m['win_rate']:.1%} ({low:.1%}-{high:.1%})")

# %% [markdown]
# ## Playing it yourself
# `cnnkit go play` is a game against the engine in the terminal, as GNU Go's ASCII mode: the
# board with the last move in parentheses, and commands `D4`, `pass`, `undo`, `hint [N]`,
# `score`, `save FILE`, `resign`, `help`, `quit`. Here `TerminalGame` reads three typed lines
# from a list instead of the keyboard on a 9x9 board.

# %%
from apps.go_policy.play.gtp import GtpEngine
from apps.go_policy.play.terminal import TerminalGame

gtp = GtpEngine(engine, size=9, komi=7.5)
outcome = TerminalGame(gtp, echo=True).run(['E5', 'hint 3', 'quit'])
print(outcome)

# %% [markdown]
# ## From the command line
# ```
# cnnkit go train --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part01.tar.gz --max-games 800 --out runs/go
# cnnkit go evaluate --sgf ../shared/data/go/cwi_pro/cwi_pro_19x19_part12.tar.gz --max-games 200 --json
# cnnkit go review --sgf GAME.sgf --out reviewed.sgf
# cnnkit go gtp   # for GoGui / Sabaki
# cnnkit go play --size 9   # in the terminal
# cnnkit go match --opponent "gnugo --mode gtp --level 10" --games 10 --size 19
# ```
