"""Speed tables (docs/speed.md): start-up of the inference commands, and batch rates."""

from benchmarks.report import markdown_table, number, provenance, rerun, result, table

COMMANDS = {
    "video_shots": "`video shots` (10 s clip, 250 frames)",
    "image_predict": "`image predict` (one PNG)",
    "text_predict": "`text predict` (one sentence)",
    "dta_predict": "`dta predict` (one pair)",
}


def _spread(entry: dict) -> str:
    return f"{number(entry['median_s'])} s ({number(entry['min_s'])}-{number(entry['max_s'])})"


@table("startup")
def startup() -> str:
    record = result("startup")
    metrics, references = record["metrics"], record["references"]
    rows = []
    for key, label in COMMANDS.items():
        entry = metrics[key]
        rows.append([label, _spread(entry["onnx"]), _spread(entry["keras"]), f"{number(entry['keras_over_onnx'], 1)}x",
                     references.get(f"{key}.onnx.median_s", "-")])
    gtp = metrics["go_gtp"]
    rows.append(["`go gtp`: reply to `name`", _spread(gtp["onnx"]["name_reply"]), _spread(gtp["keras"]["name_reply"]),
                 f"{number(gtp['keras']['name_reply']['median_s'] / gtp['onnx']['name_reply']['median_s'], 1)}x",
                 references.get("go_gtp.onnx.name_reply.median_s", "-")])
    rows.append(["`go gtp`: then the first `genmove`", _spread(gtp["onnx"]["first_genmove"]),
                 _spread(gtp["keras"]["first_genmove"]), "-",
                 references.get("go_gtp.onnx.first_genmove.median_s", "-")])
    shots = metrics["video_shots"]
    rows.append(["PySceneDetect `scenedetect -i clip detect-content list-scenes`", _spread(shots["scenedetect"]), "-",
                 f"onnx / PySceneDetect: {number(shots['onnx_over_scenedetect'])}",
                 references.get("video_shots.onnx_over_scenedetect", "-")])
    return "\n".join([
        markdown_table(["command (small real input)", "ONNX Runtime: median (min-max)", "Keras: median (min-max)",
                        "Keras / ONNX", "target"], rows), "",
        f"Wall time of a new process, start to exit. {record.get('notes', '')}",
        provenance(record) + " " + rerun(record)])


@table("startup_batch")
def startup_batch() -> str:
    record = result("startup")
    batch = record["metrics"]["video_shots_batch"]
    labels = {
        "folder_in_process_fps": "one `video shots FOLDER` process: detection alone (in-process rate)",
        "folder_wall_fps": "one `video shots FOLDER` process: wall time, start-up included",
        "process_per_clip_fps": "one `video shots CLIP` process per clip",
        "scenedetect_per_clip_fps": "PySceneDetect's CLI, one process per clip",
    }
    rows = []
    for key, label in labels.items():
        rate = batch[key]
        rows.append([label, f"{number(rate['median'], 0)} ({number(rate['min'], 0)}-{number(rate['max'], 0)})"])
    return "\n".join([
        markdown_table(["how", "frames/s: median (min-max)"], rows), "",
        f"{batch['clips']} clips of 60 frames ({batch['frames']} frames) cut from three of the real videos, ONNX "
        f"Runtime. In-process over wall: {number(batch['in_process_over_wall'])} (target: "
        f"{record['references'].get('video_shots_batch.in_process_over_wall', '-')}).",
        provenance(record)])
