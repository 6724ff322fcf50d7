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


def _rate(entry: dict, digits: int = 0) -> str:
    return f"{number(entry['median'], digits)} ({number(entry['min'], digits)}-{number(entry['max'], digits)})"


@table("speed_vs_plain")
def speed_vs_plain() -> str:
    record = result("speed_vs_plain")
    rows = []
    for model, entry in record["metrics"].items():
        for step in ("train", "predict"):
            rows.append([
                f"`{model}` {step}", entry["unit"], _rate(entry[f"cnnkit_{step}_per_s"]),
                _rate(entry[f"plain_{step}_per_s"]),
                f"{number(entry[f'{step}_ratio'])}x ({number(entry[f'{step}_round_ratio']['min'])}-"
                f"{number(entry[f'{step}_round_ratio']['max'])})",
                f"{number(entry[f'{step}_ratio_cpu_time'])}x",
                record["references"].get(model, {}).get(f"{step}_ratio", "-")])
    return "\n".join([
        markdown_table(["model", "unit", "cnnkit: median (min-max)", "plain Keras: median (min-max)",
                        "cnnkit / plain (rounds)", "per CPU second", "target"], rows), "",
        record.get("notes", ""), "", provenance(record) + " " + rerun(record)])


@table("precision")
def precision() -> str:
    record = result("precision")
    rows = []
    for app, entry in record["metrics"].items():
        metric = entry["metric"]
        rows.append([
            app, entry["recipe"], _rate(entry["float32_train_per_s"]), _rate(entry["mixed_bfloat16_train_per_s"]),
            f"{number(entry['speedup'])}x ({number(entry['round_speedup']['min'])}-"
            f"{number(entry['round_speedup']['max'])})",
            f"{metric} {_rate(entry[f'float32_{metric}'], 4)}", f"{_rate(entry[f'mixed_bfloat16_{metric}'], 4)}",
            f"{number(entry[f'{metric}_difference'], 4)} (float32 spread {number(entry['float32_spread'], 4)}): "
            + ("within noise" if entry["within_noise"] else "outside noise")])
    return "\n".join([
        markdown_table(["app", "recipe", "float32 samples/s", "mixed_bfloat16 samples/s", "speed-up (rounds)",
                        "float32 test metric", "mixed_bfloat16", "difference"], rows), "",
        record.get("notes", ""), "", provenance(record) + " " + rerun(record)])


@table("scaling")
def scaling() -> str:
    record = result("scaling")
    engines = {"tf": "TensorFlow `multi_worker`", "jax": "JAX `data_parallel`"}
    rows = [[engines.get(engine, engine), _rate(entry["one_process_images_per_s"]),
             _rate(entry["two_processes_images_per_s"]),
             f"{number(entry['efficiency'])} ({number(entry['round_efficiency']['min'])}-"
             f"{number(entry['round_efficiency']['max'])})"]
            for engine, entry in record["metrics"].items()]
    return "\n".join([
        markdown_table(["engine", "1 process, images/s", "2 processes, images/s", "2 / 1 (rounds)"], rows), "",
        record.get("notes", ""), "", provenance(record) + " " + rerun(record)])
