//! Invented places of the fictional city 云川市: its districts, roads, estates and landmarks,
//! and the names that request templates fill in.

/// One district with the places that request templates can name in it.
#[derive(Debug)]
pub(crate) struct District {
    pub name: &'static str,
    /// Approximate centre as (latitude, longitude) in degrees.
    pub center: (f64, f64),
    pub roads: &'static [&'static str],
    pub estates: &'static [&'static str],
    pub schools: &'static [&'static str],
    pub markets: &'static [&'static str],
    pub hospitals: &'static [&'static str],
    pub parks: &'static [&'static str],
    /// Villages with their town (镇), empty for fully urban districts.
    pub villages: &'static [&'static str],
}

pub(crate) const DISTRICTS: [District; 6] = [
    District {
        name: "东湖区",
        center: (30.562, 114.381),
        roads: &["桂香路", "青莲街", "湖滨大道", "望江路", "银杏巷", "文昌路"],
        estates: &["翠湖苑", "书香门第小区", "东湖新村", "锦绣家园", "丽水湾"],
        schools: &["东湖区第二实验小学", "文昌中学", "青莲路小学"],
        markets: &["青莲街农贸市场", "湖滨菜市场"],
        hospitals: &["东湖区人民医院", "东湖区中医医院"],
        parks: &["湖心公园", "银杏广场"],
        villages: &[],
    },
    District {
        name: "西岭区",
        center: (30.551, 114.179),
        roads: &["枫林大道", "岭南路", "松涛街", "云杉路", "石门路"],
        estates: &["枫林雅居", "西岭花园", "松涛名苑", "云杉公寓", "石门新城"],
        schools: &["西岭区实验小学", "枫林中学", "云杉路小学"],
        markets: &["松涛农贸市场", "石门综合市场"],
        hospitals: &["西岭区人民医院", "西岭区妇幼保健院"],
        parks: &["西岭森林公园", "枫林体育公园"],
        villages: &["白沙镇柳塘村", "白沙镇杨湾村", "石门镇枣林村"],
    },
    District {
        name: "南江区",
        center: (30.471, 114.302),
        roads: &["江湾路", "南滨大道", "沙洲街", "渔港路", "金鳞路"],
        estates: &[
            "江湾壹号",
            "南滨华府",
            "金鳞小区",
            "沙洲新苑",
            "渔港还建小区",
        ],
        schools: &["南江第一中学", "沙洲小学", "金鳞路小学"],
        markets: &["沙洲菜市场", "渔港水产市场"],
        hospitals: &["南江区人民医院", "沙洲社区卫生服务中心"],
        parks: &["南滨江滩公园", "金鳞湖公园"],
        villages: &[],
    },
    District {
        name: "北山区",
        center: (30.681, 114.279),
        roads: &["北山大道", "松岗路", "青石路", "龙泉街", "果园路"],
        estates: &["龙泉山庄", "青石花园", "北山印象", "松岗小区", "果园新村"],
        schools: &["北山区第三小学", "龙泉中学", "松岗小学"],
        markets: &["龙泉农贸市场", "北山大集"],
        hospitals: &["北山区人民医院", "青石镇卫生院"],
        parks: &["北山郊野公园", "龙泉广场"],
        villages: &["青石镇茶园村", "青石镇大树湾村", "龙泉街道桃林村"],
    },
    District {
        name: "高新区",
        center: (30.502, 114.425),
        roads: &["科创大道", "智谷路", "光华路", "软件园路", "星河街"],
        estates: &[
            "智谷人才公寓",
            "星河湾",
            "光华名邸",
            "科创花园",
            "软件园雅苑",
        ],
        schools: &["高新区第一小学", "星河中学", "光华路小学"],
        markets: &["星河生鲜市场", "智谷便民市场"],
        hospitals: &["高新区人民医院", "星河社区卫生服务中心"],
        parks: &["智谷中央公园", "星河绿道"],
        villages: &[],
    },
    District {
        name: "临港新区",
        center: (30.621, 114.483),
        roads: &["港城大道", "海关路", "码头路", "临港一路", "潮汐街"],
        estates: &[
            "港城花园",
            "临港佳苑",
            "海韵新城",
            "潮汐家园",
            "码头还建小区",
        ],
        schools: &["临港新区实验学校", "港城中学", "海韵小学"],
        markets: &["港城农贸市场", "临港海鲜市场"],
        hospitals: &["临港新区人民医院", "新港镇卫生院"],
        parks: &["临港湿地公园", "港城广场"],
        villages: &["新港镇芦苇村", "新港镇三堤村", "潮口镇渔民村"],
    },
];

/// Factories and companies that employ or disturb citizens.
pub(crate) const COMPANIES: &[&str] = &[
    "宏业机械厂",
    "绿源食品厂",
    "精工电子厂",
    "顺达物流公司",
    "云端科技公司",
    "华泰塑料制品厂",
];

/// Shops that sell prepaid membership cards.
pub(crate) const SHOPS: &[&str] = &[
    "悦享美发沙龙",
    "动力源健身会所",
    "洁车坊汽车美容",
    "花间美容养生馆",
    "欢乐岛儿童乐园",
];

/// Private tutoring and training schools.
pub(crate) const TRAINING_SCHOOLS: &[&str] = &[
    "启航教育",
    "小树苗艺术培训",
    "博学堂课外辅导",
    "星火编程学院",
];

/// Bus routes as citizens name them.
pub(crate) const BUS_ROUTES: &[&str] = &["216路", "35路", "72路", "109路", "夜班N3路", "411路"];

/// How long a problem has lasted, phrased to fit after 已经 or before 了.
pub(crate) const DURATIONS: &[&str] = &[
    "一个多月",
    "半个多月",
    "两个多星期",
    "十来天",
    "快一个月",
    "一个星期",
];
