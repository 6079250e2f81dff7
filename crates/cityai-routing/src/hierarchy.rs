//! Routing down the category hierarchy: one model per level, each refining its parent's
//! category only when its own calibrated confidence allows.

use serde::Serialize;

use crate::RoutingError;
use crate::model::{LabelledText, Prediction, RoutingModel, TrainParams, TrainReport};

const BUNDLE_MAGIC: &[u8; 8] = b"CITYAIRB";
const MODEL_MAGIC: &[u8; 8] = b"CITYAIRM";

/// The deepest category level of the taxonomy.
const MAX_LEVELS: usize = 3;

/// A labelled request with its whole category path, first level first.
#[derive(Debug, Clone)]
pub struct LabelledPath {
    pub title: Option<String>,
    pub body: String,
    pub levels: Vec<String>,
}

/// One router per category level that the labelled history covers.
#[derive(Debug, Clone)]
pub struct HierarchicalRouter {
    levels: Vec<RoutingModel>,
}

/// A prediction of the first level, refined down the hierarchy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HierarchicalPrediction {
    /// The first-level prediction: top categories, evidence, similar requests.
    #[serde(flatten)]
    pub first_level: Prediction,
    /// The deepest category the confidence allows, such as `城乡建设/市政设施`.
    pub path: String,
    /// The probability at each accepted level, first level first.
    pub path_probabilities: Vec<f64>,
}

impl HierarchicalRouter {
    /// Trains the first-level router, then one router for each deeper level that at least
    /// 20 requests reach with at least two different categories.
    ///
    /// `references[i]` identifies `data[i]` for the similar-request index of the first level.
    /// Returns the router and one report per trained level.
    ///
    /// # Errors
    ///
    /// The errors of [`RoutingModel::train`] for the first level; a deeper level that cannot
    /// be trained is left out.
    pub fn train(
        data: &[LabelledPath],
        references: &[i64],
        params: &TrainParams,
        version: &str,
        trained_at: &str,
    ) -> Result<(Self, Vec<TrainReport>), RoutingError> {
        let mut levels = Vec::new();
        let mut reports = Vec::new();
        let deepest = data.iter().map(|d| d.levels.len()).max().unwrap_or(1);
        for depth in 1..=deepest.min(MAX_LEVELS) {
            let (texts, refs): (Vec<LabelledText>, Vec<i64>) = data
                .iter()
                .zip(references.iter().copied().chain(std::iter::repeat(0)))
                .filter(|(d, _)| d.levels.len() >= depth)
                .map(|(d, reference)| {
                    (
                        LabelledText {
                            title: d.title.clone(),
                            body: d.body.clone(),
                            label: d.levels[..depth].join("/"),
                        },
                        reference,
                    )
                })
                .unzip();
            let level_version = if depth == 1 {
                version.to_owned()
            } else {
                format!("{version}/level{depth}")
            };
            let refs: &[i64] = if depth == 1 && references.len() == data.len() {
                &refs
            } else {
                &[]
            };
            match RoutingModel::train_with_references(
                &texts,
                refs,
                params,
                &level_version,
                trained_at,
            ) {
                Ok((model, report)) => {
                    levels.push(model);
                    reports.push(report);
                }
                Err(err) if depth == 1 => return Err(err),
                Err(_) => break,
            }
        }
        Ok((HierarchicalRouter { levels }, reports))
    }

    /// Returns the first-level router.
    pub fn first_level(&self) -> &RoutingModel {
        &self.levels[0]
    }

    /// Returns the number of levels the router can route to.
    pub fn depth(&self) -> usize {
        self.levels.len()
    }

    /// Predicts the first level, then descends while each deeper router's top category lies
    /// under the accepted one and its probability reaches that router's threshold.
    pub fn predict(&self, title: Option<&str>, body: &str) -> HierarchicalPrediction {
        let first_level = self.levels[0].predict(title, body);
        let mut path = first_level.top[0].label.clone();
        let mut path_probabilities = vec![first_level.top[0].probability];
        for model in &self.levels[1..] {
            let refined = model.predict(title, body);
            let best = &refined.top[0];
            let under_path = best
                .label
                .rsplit_once('/')
                .is_some_and(|(parent, _)| parent == path);
            let confident = model
                .meta
                .auto_assign_threshold
                .is_some_and(|t| best.probability >= t);
            if !(under_path && confident) {
                break;
            }
            path = best.label.clone();
            path_probabilities.push(best.probability);
        }
        HierarchicalPrediction {
            first_level,
            path,
            path_probabilities,
        }
    }

    /// Writes every level: a bundle header and count, then each model with its length.
    ///
    /// # Errors
    ///
    /// [`RoutingError::Io`] when writing fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>, RoutingError> {
        let mut out = Vec::new();
        out.extend_from_slice(BUNDLE_MAGIC);
        out.extend_from_slice(&(self.levels.len() as u32).to_le_bytes());
        for model in &self.levels {
            let mut bytes = Vec::new();
            model.write_to(&mut bytes)?;
            out.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
            out.extend_from_slice(&bytes);
        }
        Ok(out)
    }

    /// Reads a bundle written by [`HierarchicalRouter::to_bytes`], or a single first-level
    /// model file.
    ///
    /// # Errors
    ///
    /// [`RoutingError::InvalidModel`] for anything else, and the errors of
    /// [`RoutingModel::read_from`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, RoutingError> {
        if bytes.starts_with(MODEL_MAGIC) {
            let model = RoutingModel::read_from(&mut &bytes[..])?;
            return Ok(HierarchicalRouter {
                levels: vec![model],
            });
        }
        let rest = bytes
            .strip_prefix(BUNDLE_MAGIC)
            .ok_or_else(|| RoutingError::InvalidModel("not a CityAI routing model".into()))?;
        let (count, mut rest) = split_u32(rest)?;
        let mut levels = Vec::new();
        for _ in 0..count {
            let (len, after) = split_u64(rest)?;
            let len = usize::try_from(len)
                .ok()
                .filter(|&len| len <= after.len())
                .ok_or_else(|| RoutingError::InvalidModel("the file ends early".into()))?;
            levels.push(RoutingModel::read_from(&mut &after[..len])?);
            rest = &after[len..];
        }
        if levels.is_empty() {
            return Err(RoutingError::InvalidModel(
                "the bundle contains no model".into(),
            ));
        }
        Ok(HierarchicalRouter { levels })
    }
}

fn split_u32(bytes: &[u8]) -> Result<(u32, &[u8]), RoutingError> {
    let (head, rest) = bytes
        .split_first_chunk::<4>()
        .ok_or_else(|| RoutingError::InvalidModel("the file ends early".into()))?;
    Ok((u32::from_le_bytes(*head), rest))
}

fn split_u64(bytes: &[u8]) -> Result<(u64, &[u8]), RoutingError> {
    let (head, rest) = bytes
        .split_first_chunk::<8>()
        .ok_or_else(|| RoutingError::InvalidModel("the file ends early".into()))?;
    Ok((u64::from_le_bytes(*head), rest))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two first-level categories, each with two clearly different second-level ones.
    fn two_level_data() -> Vec<LabelledPath> {
        let topics = [
            (
                ["城乡建设", "市政设施"],
                ["路灯不亮", "井盖缺失", "道路破损"],
            ),
            (
                ["城乡建设", "物业管理"],
                ["物业费上涨", "物业不修电梯", "物业乱停车收费"],
            ),
            (
                ["教育文体", "学前教育"],
                ["幼儿园入学难", "幼儿园收费高", "幼儿园伙食差"],
            ),
            (
                ["教育文体", "体育场馆"],
                ["体育馆不开放", "球场被占用", "游泳馆收费乱"],
            ),
        ];
        let mut data = Vec::new();
        for (levels, texts) in topics {
            for text in texts {
                for place in ["东湖区", "西岭区", "南江区", "北山区"] {
                    data.push(LabelledPath {
                        title: None,
                        body: format!("{place}{text}，请尽快处理。"),
                        levels: levels.iter().map(|s| s.to_string()).collect(),
                    });
                }
            }
        }
        // Some history is labelled at the first level only.
        data.push(LabelledPath {
            title: None,
            body: "城里的问题".into(),
            levels: vec!["城乡建设".into()],
        });
        data
    }

    #[test]
    fn trains_one_router_per_level() {
        let (router, reports) =
            HierarchicalRouter::train(&two_level_data(), &[], &TrainParams::default(), "h", "t")
                .unwrap();
        assert_eq!(router.depth(), 2);
        assert_eq!(reports.len(), 2);
        assert_eq!(reports[1].meta.labels.len(), 4);
    }

    #[test]
    fn predicts_down_to_the_confident_level() {
        let (router, _) = HierarchicalRouter::train(
            &two_level_data(),
            &[],
            &TrainParams {
                target_precision: 0.9,
                ..TrainParams::default()
            },
            "h",
            "t",
        )
        .unwrap();
        let prediction = router.predict(None, "临港新区物业费上涨，请尽快处理。");
        assert_eq!(prediction.first_level.top[0].label, "城乡建设");
        assert_eq!(prediction.path, "城乡建设/物业管理");
        assert_eq!(prediction.path_probabilities.len(), 2);
    }

    #[test]
    fn bundle_round_trips_and_single_models_load() {
        let (router, _) =
            HierarchicalRouter::train(&two_level_data(), &[], &TrainParams::default(), "h", "t")
                .unwrap();
        let bytes = router.to_bytes().unwrap();
        let loaded = HierarchicalRouter::from_bytes(&bytes).unwrap();
        assert_eq!(loaded.depth(), 2);
        assert_eq!(
            loaded.predict(None, "幼儿园收费高").path,
            router.predict(None, "幼儿园收费高").path
        );

        let mut single = Vec::new();
        router.first_level().write_to(&mut single).unwrap();
        assert_eq!(HierarchicalRouter::from_bytes(&single).unwrap().depth(), 1);

        let err = HierarchicalRouter::from_bytes(&bytes[..bytes.len() - 10]).unwrap_err();
        assert!(err.to_string().contains("ends early"), "{err}");
        let err = HierarchicalRouter::from_bytes(b"garbage").unwrap_err();
        assert!(
            err.to_string().contains("not a CityAI routing model"),
            "{err}"
        );
    }
}
