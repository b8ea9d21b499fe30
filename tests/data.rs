//! DataLoader and CSV loading.

use tapegrad::data::{DataLoader, load_csv};
use tapegrad::{Error, Tensor};

fn rows_seen(loader: &mut DataLoader<f32>) -> Vec<f32> {
    loader.iter().flat_map(|(x, _)| x.to_vec()).collect()
}

#[test]
fn shuffling_is_seeded_covers_every_row_and_changes_each_epoch() {
    let x = Tensor::from_vec((0..10).map(|v| v as f32).collect(), &[10, 1]);
    let y = x.clone();
    let mut a = DataLoader::new(x.clone(), y.clone(), 3).shuffle(7);
    let mut b = DataLoader::new(x, y, 3).shuffle(7);
    let (first, again) = (rows_seen(&mut a), rows_seen(&mut b));
    assert_eq!(first, again, "the same seed gives the same order");
    let mut sorted = first.clone();
    sorted.sort_by(f32::total_cmp);
    assert_eq!(
        sorted,
        (0..10).map(|v| v as f32).collect::<Vec<_>>(),
        "each row once"
    );
    assert_ne!(
        first,
        (0..10).map(|v| v as f32).collect::<Vec<_>>(),
        "shuffled"
    );
    assert_ne!(rows_seen(&mut a), first, "a new order next epoch");
    // x and y stay paired.
    for (xb, yb) in a.iter() {
        assert_eq!(xb.to_vec(), yb.to_vec());
    }
}

#[test]
fn drop_last_drops_only_the_short_batch() {
    let x = Tensor::<f32>::zeros(&[10, 2]);
    let mut loader = DataLoader::new(x.clone(), Tensor::<f32>::zeros(&[10]), 4).drop_last(true);
    assert_eq!(loader.num_batches(), 2);
    assert!(
        loader
            .iter()
            .all(|(xb, yb)| xb.shape() == [4, 2] && yb.shape() == [4])
    );
}

#[test]
#[should_panic(expected = "DataLoader: x of shape [3, 1] and y of shape [4] differ in length")]
fn mismatched_lengths_panic() {
    DataLoader::new(Tensor::<f32>::zeros(&[3, 1]), Tensor::<f32>::zeros(&[4]), 2);
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tapegrad-data-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_digits_file_loads() {
    let csv = load_csv::<f32>(
        concat!(env!("CARGO_MANIFEST_DIR"), "/data/digits.csv"),
        true,
    )
    .unwrap();
    assert_eq!(csv.data.shape(), &[1797, 65]);
    assert_eq!(csv.columns[0], "p0");
    assert_eq!(csv.columns[64], "label");
}

#[test]
fn bad_csv_input_is_an_error_naming_the_place() {
    let bad_value = write("bad.csv", "a,b\n1,2\n3,oops\n");
    let err = load_csv::<f64>(&bad_value, true).unwrap_err();
    assert!(matches!(err, Error::Format(_)));
    assert!(
        err.to_string().contains("line 3, column 2") && err.to_string().contains("oops"),
        "{err}"
    );

    let ragged = write("ragged.csv", "1,2,3\n4,5\n");
    let err = load_csv::<f64>(&ragged, false).unwrap_err();
    assert!(
        err.to_string().contains("line 2: 2 fields, expected 3"),
        "{err}"
    );

    let missing = load_csv::<f64>("/definitely/not/here.csv", false);
    assert!(matches!(missing, Err(Error::Io(_))));

    let empty = write("empty.csv", "");
    assert_eq!(
        load_csv::<f64>(&empty, false).unwrap().data.shape(),
        &[0, 0]
    );
    for p in [bad_value, ragged, empty] {
        std::fs::remove_file(p).ok();
    }
}

fn write_bytes(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("tapegrad-data-{}-{name}", std::process::id()));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn csv_files_as_spreadsheets_write_them_load() {
    // A UTF-8 byte-order mark, quoted fields (one with a comma in the header), CRLF endings.
    let path = write_bytes(
        "excel.csv",
        b"\xEF\xBB\xBF\"width, cm\",\"height\"\r\n\"1.5\",2\r\n3,\"4e-1\"\r\n",
    );
    let csv = load_csv::<f64>(&path, true).unwrap();
    assert_eq!(csv.columns, ["width, cm", "height"]);
    assert_eq!(csv.data.to_vec(), [1.5, 2.0, 3.0, 0.4]);
    std::fs::remove_file(path).ok();
}

#[test]
fn csv_errors_name_the_file_line_and_column() {
    let bad_utf8 = write_bytes("latin1.csv", b"a,b\n1,2\n3,\xE9\n");
    let err = load_csv::<f32>(&bad_utf8, true).unwrap_err().to_string();
    assert!(err.contains("latin1.csv"), "{err}");
    assert!(
        err.contains("line 3, column 2") && err.contains("UTF-8"),
        "{err}"
    );

    let missing = std::env::temp_dir().join("tapegrad-no-such-file.csv");
    let err = load_csv::<f32>(&missing, false).unwrap_err();
    assert!(matches!(err, Error::Io(_)));
    assert!(
        err.to_string().contains("tapegrad-no-such-file.csv"),
        "{err}"
    );

    let huge = write("huge.csv", "x\n1\n1e39\n");
    let err = load_csv::<f32>(&huge, true).unwrap_err().to_string();
    assert!(
        err.contains("line 3, column 1") && err.contains("out of the range of f32"),
        "{err}"
    );
    // The same value fits an f64.
    assert_eq!(
        load_csv::<f64>(&huge, true).unwrap().data.to_vec(),
        [1.0, 1e39]
    );
    for p in [bad_utf8, huge] {
        std::fs::remove_file(p).ok();
    }
}
