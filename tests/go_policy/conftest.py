"""Fixtures for the Go policy tests: sample SGF files and a tiny trained-size model."""

import shutil

import pytest


@pytest.fixture(scope="session")
def sample_folder(data_available):
    return data_available / "go" / "cwi_pro" / "sample"


@pytest.fixture
def small_sgf_folder(sample_folder, tmp_path):
    """Four real games plus one malformed file and one game with an illegal move."""
    folder = tmp_path / "sgf"
    folder.mkdir()
    for file in sorted(sample_folder.glob("*.sgf"))[:4]:
        shutil.copy(file, folder / file.name)
    (folder / "broken.sgf").write_text("(;GM[1]SZ[19];B[pd];W[dp")
    (folder / "illegal.sgf").write_text("(;GM[1]FF[4]SZ[19]KM[6.5];B[pd];W[pd];B[dd])")
    return folder


@pytest.fixture(scope="session")
def tiny_model():
    from apps.go_policy.model.network import build_policy_network

    return build_policy_network("small", depth=2, filters=4)
