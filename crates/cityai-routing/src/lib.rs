//! The request router: learns categories from the city's labelled history and predicts the
//! category of new requests with calibrated probabilities and evidence.
//!
//! The model is NBSVM (Wang and Manning, "Baselines and Bigrams", ACL 2012): one linear SVM
//! per category over character 1- to 3-gram TF-IDF features, each feature scaled by its
//! naive-Bayes log-count ratio for that category. The n-grams of the title also count as
//! title features of their own.
//!
//! Out-of-fold predictions from cross-validation fit two corrections. Per-category score
//! offsets maximise macro-F1, which raises the recall of categories that the scores
//! under-predict. A softmax temperature turns scores into probabilities, so that a confidence
//! of 0.9 is right about nine times in ten on held-out data. Training needs no GPU, no
//! pretrained model and no download.
//!
//! This crate does not touch the store or HTTP. Callers pass texts and labels in and get
//! models, predictions and measures out.

mod calibration;
mod features;
mod hierarchy;
pub mod metrics;
mod model;
mod svm;

pub use features::{SparseVector, Vectorizer, prepare_text};
pub use hierarchy::{HierarchicalPrediction, HierarchicalRouter, LabelledPath};
pub use metrics::{Evaluation, Scored, ThresholdOutcome};
pub use model::{
    Evidence, LabelledText, ModelMeta, Prediction, RankedLabel, RoutingModel, SimilarRequest,
    TrainParams, TrainReport,
};

/// A failure to train, load or save a routing model.
#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("too few labelled examples to train: {found}, need at least {needed}")]
    TooFewExamples { found: usize, needed: usize },

    #[error("the labelled examples have only one category ({0}); a router needs at least two")]
    SingleCategory(String),

    #[error("model file I/O failed")]
    Io(#[from] std::io::Error),

    #[error("invalid model file: {0}")]
    InvalidModel(String),

    #[error(
        "model file format {found} is newer than this build reads ({supported}); run a newer cityai"
    )]
    UnsupportedFormat { found: u32, supported: u32 },
}
