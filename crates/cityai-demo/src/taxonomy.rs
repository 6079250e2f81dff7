//! The demo category taxonomy: fourteen first-level categories of a 12345 hotline, with
//! second- and third-level categories below them.

use cityai_core::{CategoryPath, TaxonomyEntry};

/// Category levels and the responsible department code. `None` inherits the parent's.
const ENTRIES: &[(&[&str], Option<&str>)] = &[
    (&["城乡建设"], Some("housing")),
    (&["城乡建设", "房屋管理"], None),
    (&["城乡建设", "房屋管理", "物业管理"], None),
    (&["城乡建设", "房屋管理", "商品房交付"], None),
    (&["城乡建设", "房屋管理", "老旧小区改造"], None),
    (&["城乡建设", "市政设施"], Some("urban_management")),
    (&["城乡建设", "市政设施", "路灯照明"], None),
    (&["城乡建设", "市政设施", "道路破损"], None),
    (&["城乡建设", "城市管理"], Some("urban_management")),
    (&["城乡建设", "城市管理", "违章搭建"], None),
    (&["城乡建设", "城市管理", "占道经营"], None),
    (&["城乡建设", "建筑施工"], None),
    (&["环境保护"], Some("ecology")),
    (&["环境保护", "噪声污染"], None),
    (&["环境保护", "噪声污染", "社会生活噪声"], None),
    (&["环境保护", "噪声污染", "建筑施工噪声"], None),
    (&["环境保护", "大气污染"], None),
    (&["环境保护", "大气污染", "餐饮油烟"], None),
    (&["环境保护", "大气污染", "工业废气"], None),
    (
        &["环境保护", "大气污染", "扬尘污染"],
        Some("urban_management"),
    ),
    (&["环境保护", "水污染"], None),
    (&["环境保护", "水污染", "企业排污"], None),
    (&["环境保护", "水污染", "黑臭水体"], Some("water")),
    (&["交通运输"], Some("transport")),
    (&["交通运输", "公共交通"], None),
    (&["交通运输", "公共交通", "公交线路"], None),
    (&["交通运输", "公共交通", "公交服务"], None),
    (&["交通运输", "出租汽车"], None),
    (&["交通运输", "出租汽车", "巡游出租车"], None),
    (&["交通运输", "出租汽车", "网约车"], None),
    (&["交通运输", "交通管理"], Some("public_security")),
    (&["交通运输", "交通管理", "交通信号设施"], None),
    (&["交通运输", "交通管理", "违法停车"], None),
    (&["教育文体"], Some("education")),
    (&["教育文体", "教育收费"], None),
    (&["教育文体", "教育收费", "学校收费"], None),
    (&["教育文体", "教育收费", "校外培训"], None),
    (&["教育文体", "招生入学"], None),
    (&["教育文体", "招生入学", "义务教育招生"], None),
    (&["教育文体", "招生入学", "幼儿园入园"], None),
    (&["教育文体", "学校管理"], None),
    (&["教育文体", "学校管理", "校园安全"], None),
    (&["教育文体", "学校管理", "学生餐饮"], None),
    (&["教育文体", "文化体育"], Some("culture_tourism")),
    (&["教育文体", "文化体育", "公共体育设施"], None),
    (&["教育文体", "文化体育", "公共图书馆"], None),
    (&["劳动和社会保障"], Some("hrss")),
    (&["劳动和社会保障", "劳动关系"], None),
    (&["劳动和社会保障", "劳动关系", "拖欠工资"], None),
    (&["劳动和社会保障", "劳动关系", "劳动合同"], None),
    (&["劳动和社会保障", "社会保险"], None),
    (&["劳动和社会保障", "社会保险", "养老保险"], None),
    (&["劳动和社会保障", "社会保险", "医疗保险"], None),
    (&["劳动和社会保障", "就业创业"], None),
    (&["劳动和社会保障", "就业创业", "就业补贴"], None),
    (&["劳动和社会保障", "就业创业", "职业技能培训"], None),
    (&["商贸旅游"], Some("commerce")),
    (&["商贸旅游", "商贸流通"], None),
    (&["商贸旅游", "商贸流通", "预付卡消费"], None),
    (&["商贸旅游", "商贸流通", "农贸市场管理"], None),
    (&["商贸旅游", "旅游管理"], Some("culture_tourism")),
    (&["商贸旅游", "旅游管理", "景区服务"], None),
    (&["商贸旅游", "旅游管理", "旅行社服务"], None),
    (&["卫生计生"], Some("health")),
    (&["卫生计生", "医疗服务"], None),
    (&["卫生计生", "医疗服务", "就医体验"], None),
    (&["卫生计生", "医疗服务", "医疗收费"], None),
    (&["卫生计生", "公共卫生"], None),
    (&["卫生计生", "公共卫生", "疫苗接种"], None),
    (&["卫生计生", "公共卫生", "病媒生物防制"], None),
    (&["卫生计生", "生育服务"], None),
    (&["卫生计生", "生育服务", "生育登记"], None),
    (&["卫生计生", "生育服务", "托育服务"], None),
    (&["农村农业"], Some("agriculture")),
    (&["农村农业", "农业生产"], None),
    (
        &["农村农业", "农业生产", "农资质量"],
        Some("market_regulation"),
    ),
    (&["农村农业", "农业生产", "种粮补贴"], None),
    (&["农村农业", "农村建设"], None),
    (&["农村农业", "农村建设", "农村道路"], Some("transport")),
    (&["农村农业", "农村建设", "农村人居环境"], None),
    (&["农村农业", "土地承包"], None),
    (&["农村农业", "土地承包", "土地流转"], None),
    (&["农村农业", "土地承包", "承包地纠纷"], None),
    (&["民政"], Some("civil_affairs")),
    (&["民政", "社会救助"], None),
    (&["民政", "社会救助", "最低生活保障"], None),
    (&["民政", "社会救助", "临时救助"], None),
    (&["民政", "养老服务"], None),
    (&["民政", "养老服务", "养老机构"], None),
    (&["民政", "养老服务", "高龄津贴"], None),
    (&["民政", "社区治理"], None),
    (&["民政", "殡葬管理"], None),
    (&["政法"], Some("public_security")),
    (&["政法", "治安管理"], None),
    (&["政法", "治安管理", "治安案件"], None),
    (&["政法", "治安管理", "电信网络诈骗"], None),
    (&["政法", "户籍管理"], None),
    (&["政法", "户籍管理", "户口迁移"], None),
    (&["政法", "消防安全"], None),
    (&["政法", "消防安全", "消防通道"], None),
    (&["政法", "消防安全", "电动车充电"], None),
    (&["政法", "法律服务"], Some("justice")),
    (&["政法", "法律服务", "法律援助"], None),
    (&["政法", "法律服务", "人民调解"], None),
    (&["国土资源"], Some("natural_resources")),
    (&["国土资源", "土地管理"], None),
    (&["国土资源", "土地管理", "征地拆迁"], None),
    (&["国土资源", "土地管理", "违法用地"], None),
    (&["国土资源", "规划管理"], None),
    (&["国土资源", "规划管理", "规划调整"], None),
    (&["国土资源", "规划管理", "日照采光"], None),
    (&["国土资源", "不动产登记"], None),
    (&["国土资源", "地质灾害防治"], None),
    (&["市场监管"], Some("market_regulation")),
    (&["市场监管", "食品安全"], None),
    (&["市场监管", "食品安全", "餐饮服务"], None),
    (&["市场监管", "食品安全", "食品销售"], None),
    (&["市场监管", "价格监管"], None),
    (&["市场监管", "价格监管", "明码标价"], None),
    (&["市场监管", "价格监管", "停车收费"], None),
    (&["市场监管", "消费维权"], None),
    (&["市场监管", "消费维权", "商品质量"], None),
    (&["市场监管", "消费维权", "虚假宣传"], None),
    (&["市场监管", "特种设备"], None),
    (&["市场监管", "特种设备", "电梯安全"], None),
    (&["水务"], Some("water")),
    (&["水务", "供水服务"], None),
    (&["水务", "供水服务", "停水"], None),
    (&["水务", "供水服务", "水质水压"], None),
    (&["水务", "供水服务", "水费水表"], None),
    (&["水务", "排水防涝"], None),
    (&["水务", "排水防涝", "道路积水"], None),
    (&["水务", "排水防涝", "污水外溢"], None),
    (&["水务", "河湖管理"], None),
    (&["政务服务"], Some("government_office")),
    (&["政务服务", "办事服务"], None),
    (&["政务服务", "办事服务", "窗口服务"], None),
    (&["政务服务", "办事服务", "网上办事"], None),
    (&["政务服务", "工作作风"], None),
    (&["政务服务", "政策咨询"], None),
];

pub(crate) fn all() -> Vec<TaxonomyEntry> {
    ENTRIES
        .iter()
        .map(|&(levels, department)| TaxonomyEntry {
            path: path(levels),
            department: department.map(str::to_owned),
        })
        .collect()
}

/// Builds a path from the static level names of this crate.
///
/// # Panics
///
/// Panics when `levels` is not a valid path. The crate's tests build every path it uses.
pub(crate) fn path(levels: &[&str]) -> CategoryPath {
    CategoryPath::from_levels(levels).expect("demo category levels form a valid path")
}

/// Returns the department code responsible for `levels`: the code on the deepest entry
/// from `levels` upwards that sets one.
pub(crate) fn department_of(levels: &[&str]) -> Option<&'static str> {
    (1..=levels.len()).rev().find_map(|depth| {
        ENTRIES
            .iter()
            .find(|(entry, _)| *entry == &levels[..depth])
            .and_then(|&(_, department)| department)
    })
}
