//! Feeding data: a [`DataLoader`] over `(x, y)` tensors and [`load_csv`] for small numeric
//! data sets.

#[cfg(feature = "csv")]
use std::path::Path;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::loss::Targets;
use crate::{Element, Error, Float, Tensor, no_grad};

/// Mini-batches of `(x, y)` along dim 0, as `torch.utils.data.DataLoader` over a
/// `TensorDataset`: a batch size, optional shuffling from a seeded rng (a new order each
/// epoch), and `drop_last`.
///
/// `x` and `y` may hold different element types: class labels as `Tensor<i64>` come out as
/// `Tensor<i64>` batches, ready for [`cross_entropy`](crate::loss::cross_entropy).
///
/// ```
/// use tapegrad::{data::DataLoader, Tensor};
/// let x = Tensor::<f32>::zeros(&[10, 3]);
/// let y = Tensor::<i64>::zeros(&[10]);
/// let mut loader = DataLoader::new(x, y, 4).shuffle(42);
/// let sizes: Vec<usize> = loader.iter().map(|(xb, _)| xb.shape()[0]).collect();
/// assert_eq!(sizes, vec![4, 4, 2]);
/// let (_, yb) = loader.iter().next().unwrap();
/// assert_eq!(yb.dtype(), tapegrad::DType::I64);
/// assert_eq!(loader.drop_last(true).iter().count(), 2);
/// ```
pub struct DataLoader<T: Element = f32, Y: Element = T> {
    x: Tensor<T>,
    y: Tensor<Y>,
    batch_size: usize,
    rng: Option<StdRng>,
    drop_last: bool,
}

impl<T: Element, Y: Element> DataLoader<T, Y> {
    /// Batches of `batch_size` rows in order.
    ///
    /// # Panics
    /// If `x` and `y` have different lengths along dim 0, or `batch_size` is 0.
    #[track_caller]
    pub fn new(x: Tensor<T>, y: Tensor<Y>, batch_size: usize) -> Self {
        let (nx, ny) = (x.shape().first().copied(), y.shape().first().copied());
        if nx != ny {
            panic!(
                "tapegrad: DataLoader: x of shape {:?} and y of shape {:?} differ in length",
                x.shape(),
                y.shape()
            );
        }
        assert!(
            batch_size > 0,
            "tapegrad: DataLoader: batch_size must be positive"
        );
        DataLoader {
            x,
            y,
            batch_size,
            rng: None,
            drop_last: false,
        }
    }

    /// Shuffles the rows every epoch, from an rng seeded with `seed`.
    pub fn shuffle(mut self, seed: u64) -> Self {
        self.rng = Some(StdRng::seed_from_u64(seed));
        self
    }

    /// Leaves out a last, smaller batch.
    pub fn drop_last(mut self, drop: bool) -> Self {
        self.drop_last = drop;
        self
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.x.shape().first().copied().unwrap_or(0)
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of batches in one epoch.
    pub fn num_batches(&self) -> usize {
        if self.drop_last {
            self.len() / self.batch_size
        } else {
            self.len().div_ceil(self.batch_size)
        }
    }

    /// One epoch of batches (reshuffled each call when shuffling is on).
    pub fn iter(&mut self) -> impl Iterator<Item = (Tensor<T>, Tensor<Y>)> + '_ {
        let mut order: Vec<usize> = (0..self.len()).collect();
        if let Some(rng) = &mut self.rng {
            order.shuffle(rng);
        }
        let (batch, n) = (self.batch_size, self.num_batches());
        let (x, y) = (&self.x, &self.y);
        (0..n).map(move |b| {
            let rows = &order[b * batch..((b + 1) * batch).min(order.len())];
            no_grad(|| (x.index_select(0, rows), y.index_select(0, rows)))
        })
    }
}

/// A numeric CSV file read into a `[rows, columns]` tensor.
#[cfg(feature = "csv")]
#[derive(Debug)]
pub struct Csv<T: Float = f32> {
    /// The header's column names (empty when the file has no header).
    pub columns: Vec<String>,
    /// The values, one row per line.
    pub data: Tensor<T>,
}

/// Reads a comma-separated file of numbers (optionally with a header line), with the `csv`
/// crate: quoted fields, CRLF line ends and a UTF-8 byte-order mark are handled.
///
/// Every problem is an [`Error`], never a panic, and names the file: a missing or unreadable
/// file, bytes that are not UTF-8, a value that is not a number or is out of the element
/// type's range (`1e39` in f32 is an error, not `inf`), or a row with the wrong number of
/// fields — each with its line and column.
///
/// ```
/// let path = std::env::temp_dir().join("tapegrad_doc.csv");
/// std::fs::write(&path, "a,b\n1,2\n3,4.5\n").unwrap();
/// let csv = tapegrad::data::load_csv::<f32>(&path, true).unwrap();
/// assert_eq!(csv.columns, ["a", "b"]);
/// assert_eq!(csv.data.to_vec(), vec![1.0, 2.0, 3.0, 4.5]);
/// std::fs::write(&path, "1,2\n3,x\n").unwrap();
/// let err = tapegrad::data::load_csv::<f32>(&path, false).unwrap_err();
/// assert!(err.to_string().contains("line 2, column 2"));
/// ```
#[cfg(feature = "csv")]
pub fn load_csv<T: Float>(path: impl AsRef<Path>, has_header: bool) -> Result<Csv<T>, Error> {
    let path = path.as_ref();
    let named = |message: String| Error::Format(format!("{}: {message}", path.display()));
    let file = std::fs::File::open(path).map_err(|e| {
        Error::Io(std::io::Error::new(
            e.kind(),
            format!("{}: {e}", path.display()),
        ))
    })?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(has_header)
        .trim(csv::Trim::All)
        .from_reader(std::io::BufReader::new(file));
    let describe = |e: csv::Error| -> Error {
        let line = e.position().map(|p| p.line());
        match (e.into_kind(), line) {
            (csv::ErrorKind::Io(io), _) => Error::Io(std::io::Error::new(
                io.kind(),
                format!("{}: {io}", path.display()),
            )),
            (
                csv::ErrorKind::UnequalLengths {
                    expected_len,
                    len,
                    pos,
                },
                line,
            ) => {
                let line = pos.map(|p| p.line()).or(line).unwrap_or(0);
                named(format!(
                    "line {line}: {len} fields, expected {expected_len}"
                ))
            }
            (csv::ErrorKind::Utf8 { pos, err }, line) => {
                let line = pos.map(|p| p.line()).or(line).unwrap_or(0);
                named(format!(
                    "line {line}, column {}: not valid UTF-8",
                    err.field() + 1
                ))
            }
            (kind, line) => named(format!("line {}: {kind:?}", line.unwrap_or(0))),
        }
    };
    let mut columns = Vec::new();
    if has_header {
        let header = reader.headers().map_err(describe)?;
        columns = header.iter().map(str::to_string).collect();
    }
    let mut values = Vec::new();
    let mut width = has_header.then_some(columns.len());
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return Err(describe(e)),
        }
        let line = record.position().map_or(0, |p| p.line());
        if record.len() == 1 && record[0].is_empty() {
            continue; // a blank line
        }
        let expected = *width.get_or_insert(record.len());
        if record.len() != expected {
            return Err(named(format!(
                "line {line}: {} fields, expected {expected}",
                record.len()
            )));
        }
        for (j, field) in record.iter().enumerate() {
            let at = || format!("line {line}, column {}", j + 1);
            let v: f64 = field
                .parse()
                .map_err(|_| named(format!("{}: {field:?} is not a number", at())))?;
            let t = T::of_f64(v);
            if v.is_finite() && !t.is_finite() {
                return Err(named(format!(
                    "{}: {field} is out of the range of {}",
                    at(),
                    T::DTYPE.short_name()
                )));
            }
            values.push(t);
        }
        rows += 1;
    }
    let data = Tensor::try_from_vec(values, &[rows, width.unwrap_or(0)])?;
    Ok(Csv { columns, data })
}

/// The fraction of rows of `scores` (`[N, C]`) whose largest entry is at the label's index
/// (labels as a `Tensor<i64>` or `usize`s).
///
/// # Panics
/// If `scores` is not `[N, C]` with `N = labels.len()`.
///
/// ```
/// use tapegrad::{data::accuracy, Tensor};
/// let scores = Tensor::from_vec(vec![0.1f32, 0.9, 0.8, 0.2], &[2, 2]);
/// assert_eq!(accuracy(&scores, &[1, 1]), 0.5);
/// ```
#[track_caller]
pub fn accuracy<T: Float, C: Targets + ?Sized>(scores: &Tensor<T>, labels: &C) -> f64 {
    let labels = labels.class_indices("accuracy");
    let s = scores.shape();
    if s.len() != 2 || s[0] != labels.len() {
        panic!(
            "tapegrad: accuracy: scores of shape {s:?} do not fit {} labels",
            labels.len()
        );
    }
    let predicted = scores.argmax(1, false).to_vec();
    let hits = predicted
        .iter()
        .zip(&labels)
        .filter(|&(&p, &l)| p as usize == l)
        .count();
    hits as f64 / labels.len().max(1) as f64
}

/// The labels in a column of floats (as CSV files store them), as class indices.
///
/// # Errors
/// If a value is negative or not a whole number.
///
/// ```
/// use tapegrad::{data::labels, Tensor};
/// assert_eq!(labels(&Tensor::from_vec(vec![2.0f32, 0.0], &[2])).unwrap(), vec![2, 0]);
/// assert!(labels(&Tensor::from_vec(vec![1.5f32], &[1])).is_err());
/// ```
pub fn labels<T: Float>(column: &Tensor<T>) -> Result<Vec<usize>, Error> {
    column
        .to_vec()
        .into_iter()
        .enumerate()
        .map(|(i, v)| match v.to_usize() {
            Some(c) if T::from_usize(c) == Some(v) => Ok(c),
            _ => Err(Error::Format(format!(
                "row {i}: label {v} is not a class index"
            ))),
        })
        .collect()
}
