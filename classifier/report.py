"""Pictures for people: the confusion matrix as a PNG (for reviews and MLflow)."""

from __future__ import annotations

from pathlib import Path

from classifier.model import ComplaintModel
from classifier.train import topic_confusion


def plot_confusion(model: ComplaintModel, records: list[dict], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, matrix = topic_confusion(model, records)
    size = max(6, len(labels) * 0.28)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=90, fontsize=7)
    ax.set_yticks(range(len(labels)), labels, fontsize=7)
    ax.set_xlabel("predicted topic")
    ax.set_ylabel("true topic")
    ax.set_title(f"Confusion matrix, model {model.version} (n={int(matrix.sum())})")
    for i, j in zip(*matrix.nonzero()):
        ax.text(j, i, str(matrix[i, j]), ha="center", va="center", fontsize=5)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
