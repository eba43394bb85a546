-- +goose Up
CREATE TABLE IF NOT EXISTS `release_assets_scheduled_changes` (
  `sc_id` INT NOT NULL AUTO_INCREMENT,
  `scheduled_by` VARCHAR(100) NOT NULL,
  `complete` TINYINT(1) NULL,
  `change_type` VARCHAR(50) NOT NULL,
  `base_name` VARCHAR(100) NOT NULL,
  `base_path` VARCHAR(200) NOT NULL,
  `base_data` JSON NULL,
  `base_data_version` INT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`sc_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `release_assets_scheduled_changes`;
