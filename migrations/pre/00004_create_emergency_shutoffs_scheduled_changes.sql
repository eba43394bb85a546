-- +goose Up
CREATE TABLE IF NOT EXISTS `emergency_shutoffs_scheduled_changes` (
  `sc_id` INT NOT NULL AUTO_INCREMENT,
  `scheduled_by` VARCHAR(100) NOT NULL,
  `complete` TINYINT(1) NULL,
  `change_type` VARCHAR(50) NOT NULL,
  `base_product` VARCHAR(15) NOT NULL,
  `base_channel` VARCHAR(75) NOT NULL,
  `base_comment` VARCHAR(500) NULL,
  `base_data_version` INT NULL,
  `data_version` INT NOT NULL,
  PRIMARY KEY (`sc_id`)
) ENGINE=InnoDB;

-- +goose Down
DROP TABLE IF EXISTS `emergency_shutoffs_scheduled_changes`;
